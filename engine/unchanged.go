package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// A build that finds a lab unchanged since the last one need not load it:
// InputFiles and OptionsKey say what a lab's result was made of, so that
// the build can hash those files next time and, when they are the same,
// reuse what it wrote (render keeps the record).

// InputFiles names the files besides the lab itself that its result was
// made from: the transcript cache file, fixture and web root files, the
// environment's transcripts. ok is false when files alone cannot tell that running the
// lab again would give the same result: an error, a session that ran live
// (or not at all), a block run by an interpreter whose version may change,
// or options under which labs always run (refresh, no-exec, a reset
// command, slots).
func (e *Engine) InputFiles(r *LabResult) (files []string, ok bool) {
	if !e.reusable() || r.Err != nil || r.Lab == nil || r.NotRun != "" {
		return nil, false
	}
	if r.env != nil {
		files = append(files, r.env.file.Path)
	}
	if e.opts.Offline {
		return files, true
	}
	if hasExec(r.Lab) {
		return nil, false
	}
	for _, s := range r.Sessions {
		if !s.Cached {
			return nil, false
		}
	}
	key := r.Path
	if r.env != nil {
		key = r.env.file.Path
	}
	files = append(files, e.opts.Cache.path(key))
	files = append(files, labFiles(r.Lab)...)
	return files, true
}

func (e *Engine) reusable() bool {
	o := e.opts
	if o.BeforeLab != nil || o.Slots != nil || o.Local != nil {
		return false
	}
	return o.Offline || o.Cache != nil && !o.Refresh && !o.NoExec
}

// OptionsKey hashes the options that every lab's result depends on; ""
// when results cannot be reused at all (see InputFiles).
func (e *Engine) OptionsKey() string {
	if !e.reusable() {
		return ""
	}
	o := e.opts
	secrets := sha256.New()
	for _, s := range o.Secrets {
		secrets.Write([]byte(s + "\x00"))
	}
	data, _ := json.Marshal(struct {
		Version, Format                    string
		Offline, CacheOnly, Sharded        bool
		Servers                            any
		SourceDate                         string
		TranscriptDir, Secrets, LabTimeout string
	}{Version, cacheFormat, o.Offline, o.CacheOnly, o.Sharded, o.Servers, o.SourceDate.String(),
		o.TranscriptDir, hex.EncodeToString(secrets.Sum(nil)), o.LabTimeout.String()})
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
