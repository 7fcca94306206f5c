// Package browsertest builds the course in labs/ and opens every page in
// headless Chromium, driven over the DevTools protocol, to check what only
// a browser can tell: console errors, requests that leave the machine,
// horizontal scrolling on a phone, the dark theme, the script's copy
// buttons. Run it with `make browser` (go test -tags browser ./browsertest/);
// it needs /usr/bin/chromium.
package browsertest
