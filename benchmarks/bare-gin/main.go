// Command bare-gin is the baseline for the skeleton benchmarks: the same route as a generated
// Go service on a plain gin engine with nothing else (no logging, tracing, metrics, health or
// middleware), so the difference measures what the skeleton adds on top of the framework. It
// listens on loopback only, on PORT (default 8080).
package main

import (
	"log"
	"net/http"
	"os"

	"github.com/gin-gonic/gin"
)

func main() {
	gin.SetMode(gin.ReleaseMode)
	engine := gin.New()
	engine.GET("/v1/hello/:name", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"message": "hello, " + c.Param("name")})
	})
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	server := &http.Server{Addr: "127.0.0.1:" + port, Handler: engine.Handler()}
	log.Fatal(server.ListenAndServe())
}
