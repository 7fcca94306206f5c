package labserver

import (
	"encoding/xml"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// AutoconfigPath is where Thunderbird looks for a domain's account settings
// (https://wiki.mozilla.org/Thunderbird:Autoconfiguration).
const AutoconfigPath = "/.well-known/autoconfig/mail/config-v1.1.xml"

// withAutoconfig answers AutoconfigPath with the set's own addresses and
// passes every other request to next.
func (s *Set) withAutoconfig(next http.Handler, cfg Config) http.Handler {
	host := cfg.AutoconfigHost
	if host == "" {
		host = cfg.Addr
	}
	port := func(svc string) int {
		_, p, _ := splitPort(s.Addr(svc))
		return p
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != AutoconfigPath {
			next.ServeHTTP(w, r)
			return
		}
		h := host
		if ip := net.ParseIP(h); ip != nil && ip.IsUnspecified() {
			// Listening on every address: name the one the client used.
			h, _, _ = splitPort(r.Host)
			h = strings.Trim(h, "[]")
		}
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		_, _ = w.Write(autoconfigXML(s.store.Domain(), h, port))
	})
}

// splitPort reads host:port.
func splitPort(addr string) (string, int, bool) {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			p, err := strconv.Atoi(addr[i+1:])
			return addr[:i], p, err == nil
		}
	}
	return addr, 0, false
}

type acServer struct {
	Type     string `xml:"type,attr"`
	Hostname string `xml:"hostname"`
	Port     int    `xml:"port"`
	Socket   string `xml:"socketType"`
	Username string `xml:"username"`
	Auth     string `xml:"authentication"`
}

// autoconfigXML is built on each request, once every listener has its
// port: the Set starts the web server before it knows the last port.
func autoconfigXML(domain, host string, port func(string) int) []byte {
	type provider struct {
		ID       string     `xml:"id,attr"`
		Domain   string     `xml:"domain"`
		Display  string     `xml:"displayName"`
		Short    string     `xml:"displayShortName"`
		Incoming []acServer `xml:"incomingServer"`
		Outgoing []acServer `xml:"outgoingServer"`
	}
	type clientConfig struct {
		XMLName  xml.Name `xml:"clientConfig"`
		Version  string   `xml:"version,attr"`
		Provider provider `xml:"emailProvider"`
	}
	in := func(typ, svc, socket string) acServer {
		return acServer{Type: typ, Hostname: host, Port: port(svc), Socket: socket, Username: "%EMAILLOCALPART%", Auth: "password-cleartext"}
	}
	c := clientConfig{Version: "1.1", Provider: provider{
		ID: domain, Domain: domain, Display: "wirebook lab servers (" + domain + ")", Short: "wirebook",
		Incoming: []acServer{in("imap", IMAPS, "SSL"), in("imap", IMAP, "STARTTLS"), in("pop3", POP3S, "SSL")},
		Outgoing: []acServer{in("smtp", Submission, "STARTTLS"), in("smtp", SMTPS, "SSL")},
	}}
	out, _ := xml.MarshalIndent(c, "", "  ")
	return append([]byte(xml.Header), append(out, '\n')...)
}
