package check

// Captures are the names the pattern captures, so a lab can be checked for
// variables no earlier block defines before anything runs.
func (p *Pattern) Captures() []string {
	var out []string
	for _, n := range p.capture {
		if n != "" { // an unnamed group of a (re) line
			out = append(out, n)
		}
	}
	return out
}
