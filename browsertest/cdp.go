//go:build browser

package browsertest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// chromiumPath is Debian's headless-capable Chromium.
const chromiumPath = "/usr/bin/chromium"

// browser is one headless Chromium driven over the DevTools protocol
// through the websocket of its first page.
type browser struct {
	cmd  *exec.Cmd
	ws   *wsConn
	done chan struct{} // closed when the reader stops

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan cdpMessage
	events  []cdpMessage
	notify  chan struct{} // a token whenever an event arrives
	readErr error
}

type cdpMessage struct {
	ID     int64           `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// startBrowser runs Chromium with a fresh profile in profileDir. Host
// names other than 127.0.0.1 resolve to nothing, so a page that tries to
// reach the outside fails loudly instead of leaving the machine.
func startBrowser(ctx context.Context, profileDir string) (*browser, error) {
	cmd := exec.CommandContext(ctx, chromiumPath,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync",
		"--disable-extensions", "--disable-default-apps",
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
		"--user-data-dir="+profileDir,
		"--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
		"--window-size=1280,900",
		"about:blank")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", chromiumPath, err)
	}
	// Chromium prints its DevTools address on stderr once it listens.
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			if rest, ok := strings.CutPrefix(line, "DevTools listening on "); ok && !sent {
				found <- strings.TrimSpace(rest)
				sent = true
			}
		}
		if !sent {
			close(found)
		}
	}()
	var browserURL string
	select {
	case u, ok := <-found:
		if !ok {
			_ = cmd.Wait()
			return nil, errors.New("chromium exited before announcing its DevTools port")
		}
		browserURL = u
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, errors.New("chromium did not announce its DevTools port within 30 s")
	}
	pageURL, err := firstPage(browserURL)
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, err
	}
	ws, err := dialWebSocket(pageURL)
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, err
	}
	b := &browser{cmd: cmd, ws: ws, done: make(chan struct{}), pending: map[int64]chan cdpMessage{}, notify: make(chan struct{}, 1)}
	go b.read()
	return b, nil
}

// firstPage asks the DevTools HTTP endpoint for the page target's
// websocket address.
func firstPage(browserURL string) (string, error) {
	host := strings.TrimPrefix(browserURL, "ws://")
	host, _, _ = strings.Cut(host, "/")
	var targets []struct {
		Type                 string `json:"type"`
		WebSocketDebuggerURL string `json:"webSocketDebuggerUrl"`
	}
	for try := 0; try < 50; try++ {
		resp, err := http.Get("http://" + host + "/json/list")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&targets)
			resp.Body.Close()
		}
		if err != nil {
			return "", fmt.Errorf("devtools target list: %w", err)
		}
		for _, t := range targets {
			if t.Type == "page" && t.WebSocketDebuggerURL != "" {
				return t.WebSocketDebuggerURL, nil
			}
		}
		time.Sleep(100 * time.Millisecond) // the first tab may not exist yet
	}
	return "", errors.New("devtools: no page target")
}

func (b *browser) read() {
	defer close(b.done)
	for {
		raw, err := b.ws.ReadMessage()
		if err != nil {
			b.mu.Lock()
			b.readErr = err
			for id, ch := range b.pending {
				close(ch)
				delete(b.pending, id)
			}
			b.mu.Unlock()
			return
		}
		var m cdpMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			continue
		}
		b.mu.Lock()
		if m.ID != 0 {
			if ch, ok := b.pending[m.ID]; ok {
				ch <- m
				delete(b.pending, m.ID)
			}
		} else if m.Method != "" {
			b.events = append(b.events, m)
			select {
			case b.notify <- struct{}{}:
			default:
			}
		}
		b.mu.Unlock()
	}
}

// call sends a command and waits for its result.
func (b *browser) call(method string, params any, result any) error {
	b.mu.Lock()
	if b.readErr != nil {
		b.mu.Unlock()
		return fmt.Errorf("%s: connection lost: %w", method, b.readErr)
	}
	b.nextID++
	id := b.nextID
	ch := make(chan cdpMessage, 1)
	b.pending[id] = ch
	b.mu.Unlock()
	if params == nil {
		params = struct{}{}
	}
	msg, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err != nil {
		return err
	}
	if err := b.ws.WriteText(msg); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: connection lost", method)
		}
		if m.Error != nil {
			return fmt.Errorf("%s: %s (%d)", method, m.Error.Message, m.Error.Code)
		}
		if result != nil {
			return json.Unmarshal(m.Result, result)
		}
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("%s: no answer within 30 s", method)
	}
}

// takeEvents returns and forgets the events received so far.
func (b *browser) takeEvents() []cdpMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	ev := b.events
	b.events = nil
	return ev
}

// waitEvent waits until an event named method has arrived (it stays in
// the list for takeEvents).
func (b *browser) waitEvent(method string, timeout time.Duration) error {
	deadline := time.After(timeout)
	for {
		b.mu.Lock()
		for _, e := range b.events {
			if e.Method == method {
				b.mu.Unlock()
				return nil
			}
		}
		b.mu.Unlock()
		select {
		case <-b.notify:
		case <-b.done:
			return fmt.Errorf("waiting for %s: connection lost", method)
		case <-deadline:
			return fmt.Errorf("no %s within %s", method, timeout)
		}
	}
}

// evaluate runs a JavaScript expression in the page and decodes its
// JSON-able value into out.
func (b *browser) evaluate(expr string, out any) error {
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := b.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &res); err != nil {
		return err
	}
	if e := res.ExceptionDetails; e != nil {
		return fmt.Errorf("evaluate: %s %s", e.Text, e.Exception.Description)
	}
	return json.Unmarshal(res.Result.Value, out)
}

func (b *browser) Close() {
	_ = b.call("Browser.close", nil, nil)
	_ = b.ws.Close()
	select {
	case <-b.done:
	case <-time.After(5 * time.Second):
	}
	waited := make(chan struct{})
	go func() { _ = b.cmd.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		<-waited
	}
}
