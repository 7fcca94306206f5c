package vars

// References returns the names of the variables text refers to, nested
// ones (inside ${base64:...}) included, in order; err is a syntax error.
// It lets a lab be checked for undefined variables before it runs.
func References(text string) (names []string, err error) {
	s := NewScope(func(name string) (string, bool) {
		names = append(names, name)
		return "", true
	})
	if _, _, err := s.Expand(text); err != nil {
		return nil, err
	}
	return names, nil
}
