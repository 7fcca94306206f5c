module github.com/wirebook/wirebook

go 1.26

require (
	github.com/alecthomas/chroma/v2 v2.27.0
	github.com/emersion/go-imap/v2 v2.0.0-beta.8
	github.com/emersion/go-sasl v0.0.0-20241020182733-b788ff22d5a6
	github.com/emersion/go-smtp v0.25.1
	github.com/spf13/pflag v1.1.0
	github.com/yuin/goldmark v1.8.7
	go.yaml.in/yaml/v3 v3.0.6
	golang.org/x/sys v0.5.0
)

require (
	github.com/dlclark/regexp2/v2 v2.2.1 // indirect
	github.com/emersion/go-message v0.18.2 // indirect
)
