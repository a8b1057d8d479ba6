# WCRG Lab — quick start on a fresh Debian/Ubuntu machine:
#   make run    install what Fyne needs if missing, then open the app
#   make test   install what Fyne needs if missing, then go vet and go test
SHELL := /bin/bash

# Debian packages for Fyne's cgo build (GL, X11 headers) and for a real
# window under Xvfb.
DEB_BUILD := gcc libc6-dev pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev \
	libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev
DEB_X := xvfb xauth libgl1-mesa-dri
DEB_SHOTS := imagemagick

export CGO_ENABLED := 1

.PHONY: run test deps deps-x screenshots bench build cli

run: deps
	go run .

test: deps
	go vet ./...
	go test -timeout 60m ./...

test-short:
	go test -short ./...

build: deps
	go build -o wcrglab .

cli:
	CGO_ENABLED=0 go build -o wcrg ./cmd/wcrg

bench:
	go run ./cmd/wcrg bench all

screenshots: deps
	@scripts/install-deps.sh $(DEB_X) $(DEB_SHOTS)
	scripts/screenshots.sh

deps:
	@scripts/install-deps.sh $(DEB_BUILD)
