package engine

import (
	"context"
	"fmt"
	"math/rand"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wirebook/wirebook/engine/lab"
)

func TestParseShard(t *testing.T) {
	if s, err := ParseShard("2/3"); err != nil || s != (Shard{2, 3}) {
		t.Errorf("2/3: %v %v", s, err)
	}
	for _, bad := range []string{"", "3", "0/3", "4/3", "a/b", "1/0", "-1/2"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestPartitionIsCompleteDisjointAndBalanced(t *testing.T) {
	var labs []string
	for i := range 300 {
		labs = append(labs, fmt.Sprintf("labs/u%d/lab-%03d.md", i%7, i))
	}
	rng := rand.New(rand.NewSource(1))
	durations := map[string]time.Duration{}
	for _, l := range labs {
		durations[l] = time.Duration(1+rng.Intn(1000)) * time.Millisecond
	}
	none := func(string) (time.Duration, bool) { return 0, false }
	recorded := func(l string) (time.Duration, bool) { d, ok := durations[l]; return d, ok }
	some := func(l string) (time.Duration, bool) {
		if l < "labs/u3" {
			return recorded(l)
		}
		return 0, false
	}
	for _, tc := range []struct {
		name   string
		weight func(string) (time.Duration, bool)
	}{{"by path", none}, {"by duration", recorded}, {"partly recorded", some}} {
		for _, n := range []int{1, 2, 3, 7} {
			shards := Partition(labs, n, tc.weight)
			// The same cut from the labs in any order.
			shuffled := append([]string(nil), labs...)
			rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			if again := Partition(shuffled, n, tc.weight); fmt.Sprint(again) != fmt.Sprint(shards) {
				t.Errorf("%s, %d shards: the cut depends on the order of the labs", tc.name, n)
			}
			seen := map[string]int{}
			for _, s := range shards {
				for _, l := range s {
					seen[l]++
				}
			}
			for _, l := range labs {
				if seen[l] != 1 {
					t.Fatalf("%s, %d shards: %s is in %d shards", tc.name, n, l, seen[l])
				}
			}
			if len(seen) != len(labs) {
				t.Fatalf("%s: %d labs in the shards, want %d", tc.name, len(seen), len(labs))
			}
			if tc.name == "by path" {
				for _, s := range shards {
					if d := len(s) - len(labs)/n; d < 0 || d > 1 {
						t.Errorf("by path, %d shards: a shard of %d labs", n, len(s))
					}
				}
			}
			if tc.name == "by duration" {
				// Longest-first greedy: no shard exceeds another by more than
				// the longest lab.
				var lo, hi time.Duration = 1 << 62, 0
				for _, s := range shards {
					var sum time.Duration
					for _, l := range s {
						sum += durations[l]
					}
					lo, hi = min(lo, sum), max(hi, sum)
				}
				if hi-lo > time.Second {
					t.Errorf("%d shards: loads from %v to %v", n, lo, hi)
				}
			}
		}
	}
}

// A sharded run records what it measured but keeps the duration shards are
// cut by, so that the shards of one course, run one after another on one
// cache, agree; a merge of the caches adopts the measurements.
func TestShardedRunsKeepTheBalancingDuration(t *testing.T) {
	dir := t.TempDir()
	lab := writeLab(t, dir, "a.md", "```smtp\nC: EHLO client.example\nC: QUIT\n```\n")
	cache := &Cache{Dir: filepath.Join(dir, ".wirebook", "cache")}
	e, _ := newTestEngine(t, Options{Cache: cache, Refresh: true})
	e.RunLab(context.Background(), lab)
	d, ok := e.recordedDuration(cache, lab)
	if !ok || d <= 0 {
		t.Fatalf("an unsharded run recorded no duration: %v %v", d, ok)
	}
	f := cache.load(lab)
	f.Duration = 42 * time.Hour
	if err := cache.store(lab, f); err != nil {
		t.Fatal(err)
	}
	sharded, _ := newTestEngine(t, Options{Cache: cache, Refresh: true, Sharded: true})
	sharded.RunLab(context.Background(), lab)
	f = cache.load(lab)
	if f.Duration != 42*time.Hour || f.LastDuration <= 0 || f.LastDuration == f.Duration {
		t.Errorf("after a sharded run: duration %v, last %v", f.Duration, f.LastDuration)
	}
	merged := filepath.Join(dir, "merged", "cache")
	if n, err := MergeCaches(merged, []string{cache.Dir}); err != nil || n != 1 {
		t.Fatalf("merge: %d %v", n, err)
	}
	// The merged cache sits where the course's would, so it is found by
	// the lab's path.
	m := (&Cache{Dir: merged}).load(lab)
	if m == nil {
		entries, _ := os.ReadDir(merged)
		t.Fatalf("merged cache has %v, not the lab", entries)
	}
	if m.Duration != f.LastDuration {
		t.Errorf("merged duration %v, want the shard's measurement %v", m.Duration, f.LastDuration)
	}
}

// The lab deadline stops a lab waiting on a silent server; the blocks after
// it are not run, and say so.
func TestLabTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // silent: never greets
		}
	}()
	dir := t.TempDir()
	lab := writeLab(t, dir, "slow.md", fmt.Sprintf("---\nservers:\n  default: smtp://%s\n---\n```smtp timeout=30s\nC: EHLO x\n```\n\n```smtp\nC: EHLO x\n```\n", ln.Addr()))
	e, _ := newTestEngine(t, Options{LabTimeout: 200 * time.Millisecond})
	start := time.Now()
	r := e.RunLab(context.Background(), lab)
	if time.Since(start) > 10*time.Second {
		t.Fatalf("the deadline did not stop the lab")
	}
	if len(r.Sessions) != 2 {
		t.Fatalf("%d sessions", len(r.Sessions))
	}
	for i, s := range r.Sessions {
		if s.Status != StatusFailed || s.Err == nil {
			t.Fatalf("block %d: status %s err %v", i+1, s.Status, s.Err)
		}
	}
	if got := r.Sessions[0].Err.Error(); !strings.Contains(got, "deadline (--lab-timeout 200ms) passed during this block") {
		t.Errorf("first block: %s", got)
	}
	if got := r.Sessions[1].Err.Error(); !strings.Contains(got, "not run: the lab's deadline") {
		t.Errorf("second block: %s", got)
	}
}

// --max-failures: once that many labs failed no further lab starts, and
// those are reported as not run, never as passed.
func TestMaxFailuresStopsStartingLabs(t *testing.T) {
	dir := t.TempDir()
	var labs []string
	for i := range 6 {
		labs = append(labs, writeLab(t, dir, fmt.Sprintf("l%d.md", i), "---\nservers:\n  default: smtp://127.0.0.1:1\n---\n```smtp timeout=1s\nC: EHLO x\n```\n"))
	}
	e, _ := newTestEngine(t, Options{Jobs: 1, MaxFailures: 2})
	results := e.RunLabs(context.Background(), labs)
	failed, notRun := 0, 0
	for _, r := range results {
		switch {
		case r.NotRun != "":
			notRun++
			if r.Failed() || len(r.Sessions) > 0 {
				t.Errorf("%s not run yet has sessions or failed", r.Path)
			}
		case r.Failed():
			failed++
		default:
			t.Errorf("%s passed against a closed port", r.Path)
		}
	}
	if failed != 2 || notRun != 4 {
		t.Errorf("%d failed, %d not run; want 2 and 4", failed, notRun)
	}
}

// greeter is a minimal SMTP server that names itself in its greeting and
// counts the connections it holds at once (into its own and a shared max).
func greeter(t *testing.T, name string, mu *sync.Mutex, open map[string]int, peak map[string]int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	count := func(d int) {
		mu.Lock()
		defer mu.Unlock()
		open[name] += d
		open["all"] += d
		peak[name] = max(peak[name], open[name])
		peak["all"] = max(peak["all"], open["all"])
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				count(1)
				counted := true
				defer func() {
					if counted {
						count(-1)
					}
				}()
				time.Sleep(30 * time.Millisecond) // let labs overlap
				fmt.Fprintf(c, "220 %s ESMTP\r\n", name)
				buf := make([]byte, 512)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					if strings.HasPrefix(strings.ToUpper(string(buf[:n])), "QUIT") {
						// Done before the client can hear it: its slot may
						// then go to the next lab at once.
						count(-1)
						counted = false
						fmt.Fprint(c, "221 bye\r\n")
						return
					}
					fmt.Fprint(c, "250 ok\r\n")
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// A pool: labs run at once, each in its own slot (its ports, its reset),
// never two in one slot; the reset is told the slot.
func TestPoolSlotsAreNeverShared(t *testing.T) {
	var mu sync.Mutex
	open, peak := map[string]int{}, map[string]int{}
	_, p1, _ := net.SplitHostPort(greeter(t, "slot1", &mu, open, peak))
	_, p2, _ := net.SplitHostPort(greeter(t, "slot2", &mu, open, peak))
	port := func(p string) int { n, _ := strconv.Atoi(p); return n }
	dir := t.TempDir()
	var labs []string
	for i := range 8 {
		labs = append(labs, writeLab(t, dir, fmt.Sprintf("l%d.md", i), "```smtp\nC: NOOP\nC: QUIT\n```\n"))
	}
	resets := map[int]int{}
	e, _ := newTestEngine(t, Options{
		Servers: map[string]lab.ServerEntry{"default": {Host: "127.0.0.1", Ports: map[string]int{"smtp": 1}}},
		Slots: NewSlotPool([]map[string]lab.ServerEntry{
			{"default": {Ports: map[string]int{"smtp": port(p1)}}},
			{"default": {Ports: map[string]int{"smtp": port(p2)}}},
		}),
		BeforeLab: func(path string, slot int) error {
			mu.Lock()
			defer mu.Unlock()
			resets[slot]++
			return nil
		},
	})
	results := e.RunLabs(context.Background(), labs)
	for _, r := range results {
		if r.Err != nil || len(r.Sessions) != 1 || r.Sessions[0].Err != nil {
			t.Fatalf("%s: %v %+v", r.Path, r.Err, r.Sessions)
		}
		got := r.Sessions[0].Software
		if got != "slot1 ESMTP" && got != "slot2 ESMTP" {
			t.Errorf("%s ran against %q, not a slot's server", r.Path, got)
		}
	}
	if resets[1] == 0 || resets[2] == 0 || resets[1]+resets[2] != 8 || resets[0] != 0 {
		t.Errorf("resets by slot: %v", resets)
	}
	mu.Lock()
	defer mu.Unlock()
	if peak["slot1"] != 1 || peak["slot2"] != 1 || peak["all"] != 2 {
		t.Errorf("connections at once: %v; want one per slot, two in all", peak)
	}
}
