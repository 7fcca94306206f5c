package check

import "github.com/wirebook/wirebook/protocols"

// AsWritten returns the run's events with each output line that matched a
// written line exactly or through the masks replaced by the written line:
// what changes by machine or run (a time stamp, a port) is then shown as
// the lab has it, so two runs give the same page, and every line shown
// was compared with this run. Lines matched by a pattern or a wildcard,
// and lines that differ, are the run's own.
func (c *Comparison) AsWritten() []protocols.Event {
	out := append([]protocols.Event(nil), c.Events...)
	for _, o := range c.ops {
		if o.kind != opKeep {
			continue
		}
		p := c.exp[o.i].pattern
		if p == nil || p.re != nil || p.AnyRun || out[o.j].Kind == protocols.Client {
			continue
		}
		out[o.j].Text = c.exp[o.i].line.Text
	}
	return out
}
