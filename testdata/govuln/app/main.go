// Command govulnapp is a test fixture: a tiny program that links old,
// known-vulnerable versions of a few modules so that scanners have something
// real to find. It is never run.
package main

import (
	"fmt"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"
	"golang.org/x/crypto/acme/autocert"
	"golang.org/x/crypto/salsa20"
	"golang.org/x/net/html"
	"golang.org/x/text/language"
	"gopkg.in/yaml.v2"
)

func main() {
	r := gin.New()
	up := websocket.Upgrader{}
	m := autocert.Manager{Prompt: autocert.AcceptTOS}
	doc, err := html.Parse(strings.NewReader("<p>hi</p>"))
	tag := language.Make("en-US")
	out, _ := yaml.Marshal(map[string]string{"a": "b"})
	var key [32]byte
	dst := make([]byte, 4)
	salsa20.XORKeyStream(dst, []byte("data"), make([]byte, 8), &key)
	fmt.Println(r != nil, up.ReadBufferSize, m.Prompt != nil, doc != nil, err, tag, string(out), dst)
}
