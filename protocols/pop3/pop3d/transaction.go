package pop3d

func (s *session) stat(cmd command) {
	if len(cmd.Args) > 0 {
		s.reply("-ERR Syntax: STAT takes no arguments.")
		return
	}
	count, octets := s.drop.stat()
	s.reply("+OK %d %d", count, octets)
}

func (s *session) list(cmd command) {
	switch len(cmd.Args) {
	case 0:
		count, octets := s.drop.stat()
		s.reply("+OK %s (%d octets)", plural(count, "message"), octets)
		for i, m := range s.drop.msgs {
			if !s.drop.deleted[i] {
				s.reply("%d %d", i+1, m.Size())
			}
		}
		s.reply(".")
	case 1:
		i, msg := s.drop.lookup(cmd.Args[0])
		if msg != "" {
			s.reply("-ERR %s", msg)
			return
		}
		s.reply("+OK %d %d", i+1, s.drop.msgs[i].Size())
	default:
		s.reply("-ERR Syntax: LIST [message number]")
	}
}

func (s *session) uidlCmd(cmd command) {
	switch len(cmd.Args) {
	case 0:
		s.reply("+OK Unique ids follow.")
		for i := range s.drop.msgs {
			if !s.drop.deleted[i] {
				s.reply("%d %s", i+1, s.drop.uidl(i))
			}
		}
		s.reply(".")
	case 1:
		i, msg := s.drop.lookup(cmd.Args[0])
		if msg != "" {
			s.reply("-ERR %s", msg)
			return
		}
		s.reply("+OK %d %s", i+1, s.drop.uidl(i))
	default:
		s.reply("-ERR Syntax: UIDL [message number]")
	}
}

func (s *session) retr(cmd command) {
	if len(cmd.Args) != 1 {
		s.reply("-ERR Syntax: RETR <message number>")
		return
	}
	i, msg := s.drop.lookup(cmd.Args[0])
	if msg != "" {
		s.reply("-ERR %s", msg)
		return
	}
	m := s.drop.msgs[i]
	s.reply("+OK %d octets", m.Size())
	dotStuff(&s.out, m.Data, -1)
	s.reply(".")
	s.drop.retrieved[i] = true
}

func (s *session) top(cmd command) {
	if len(cmd.Args) != 2 {
		s.reply("-ERR Syntax: TOP <message number> <number of body lines>")
		return
	}
	i, msg := s.drop.lookup(cmd.Args[0])
	if msg != "" {
		s.reply("-ERR %s", msg)
		return
	}
	lines, ok := parseNumber(cmd.Args[1])
	if !ok {
		s.reply("-ERR Invalid number of lines: %s", printable(cmd.Args[1]))
		return
	}
	s.reply("+OK Header and %s of message %d follow.", plural(lines, "body line"), i+1)
	dotStuff(&s.out, s.drop.msgs[i].Data, lines)
	s.reply(".")
}

func (s *session) dele(cmd command) {
	if len(cmd.Args) != 1 {
		s.reply("-ERR Syntax: DELE <message number>")
		return
	}
	i, msg := s.drop.lookup(cmd.Args[0])
	if msg != "" {
		s.reply("-ERR %s", msg)
		return
	}
	s.drop.deleted[i] = true
	s.reply("+OK Message %d marked for deletion; it goes at QUIT.", i+1)
}

func (s *session) rset(cmd command) {
	if len(cmd.Args) > 0 {
		s.reply("-ERR Syntax: RSET takes no arguments.")
		return
	}
	clear(s.drop.deleted)
	count, octets := s.drop.stat()
	s.reply("+OK Maildrop has %s (%d octets).", plural(count, "message"), octets)
}

func (s *session) noop(cmd command) {
	if len(cmd.Args) > 0 {
		s.reply("-ERR Syntax: NOOP takes no arguments.")
		return
	}
	s.reply("+OK")
}
