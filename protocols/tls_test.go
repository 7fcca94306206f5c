package protocols

import "crypto/tls"

var tlsConfigForTest = tls.Config{ServerName: "localhost"}
