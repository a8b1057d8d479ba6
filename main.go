// Command wcrglab is the WCRG Lab desktop application.
package main

import "github.com/wcrglab/wcrg/app"

func main() { app.Run() }
