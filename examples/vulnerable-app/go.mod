module example.com/vulnerable-app

go 1.22

require (
	golang.org/x/net v0.0.0-20210226172049-e18ecbb05110
	golang.org/x/text v0.3.5
	gopkg.in/yaml.v2 v2.2.2
)

require github.com/gorilla/websocket v1.4.0 // indirect
