package render

import (
	"reflect"
	"testing"
	"time"

	"github.com/wirebook/wirebook/engine"
	"github.com/wirebook/wirebook/site"
)

// TestFingerprintCoversEveryField changes one field at a time of every
// struct a page fingerprint is made of (site.PageData, site.LabSummary,
// site.TOCEntry, SessionView, protocols.Event) and expects a different
// fingerprint each time: a field added to one of them and not hashed would
// let a changed page be kept as it was.
func TestFingerprintCoversEveryField(t *testing.T) {
	w := &SiteWriter{build: "test"}
	seen := map[string]string{}
	check := func(name string, data site.PageData, p LabPage) {
		t.Helper()
		fp := w.fingerprint(data, p)
		if other, dup := seen[fp]; dup {
			t.Errorf("%s and %s give the same fingerprint", name, other)
		}
		seen[fp] = name
	}
	empty := LabPage{Result: &engine.LabResult{}}
	for name, v := range variants("PageData", reflect.TypeOf(site.PageData{})) {
		check(name, v.Interface().(site.PageData), empty)
	}
	for name, v := range variants("SessionView", reflect.TypeOf(SessionView{})) {
		sv := v.Interface().(SessionView)
		check(name, site.PageData{}, LabPage{Result: &engine.LabResult{}, Sessions: map[int]*SessionView{3: &sv}})
	}
	check("session at another line", site.PageData{}, LabPage{Result: &engine.LabResult{}, Sessions: map[int]*SessionView{4: {}}})
	if len(seen) < 40 {
		t.Fatalf("only %d variants: the walk over the structs is broken", len(seen))
	}
}

// variants is the zero value of t (a struct) and, for every field reached
// through structs, pointers and slices, a value where only that field is
// not zero.
func variants(name string, t reflect.Type) map[string]reflect.Value {
	out := map[string]reflect.Value{name + " zero": reflect.New(t).Elem()}
	for i := range t.NumField() {
		f := t.Field(i)
		for sub, fv := range fieldVariants(name+"."+f.Name, f.Type) {
			v := reflect.New(t).Elem()
			v.Field(i).Set(fv)
			out[sub] = v
		}
	}
	return out
}

func fieldVariants(name string, t reflect.Type) map[string]reflect.Value {
	if t == reflect.TypeOf(time.Time{}) {
		return map[string]reflect.Value{name: reflect.ValueOf(time.Unix(1700000000, 0).UTC())}
	}
	out := map[string]reflect.Value{}
	switch t.Kind() {
	case reflect.String:
		out[name] = reflect.ValueOf("x").Convert(t)
	case reflect.Int, reflect.Uint8:
		out[name] = reflect.ValueOf(7).Convert(t)
	case reflect.Bool:
		out[name] = reflect.ValueOf(true)
	case reflect.Pointer:
		for sub, v := range variants(name, t.Elem()) {
			p := reflect.New(t.Elem())
			p.Elem().Set(v)
			out[sub] = p
		}
	case reflect.Slice:
		elem := t.Elem()
		if elem.Kind() == reflect.Struct {
			for sub, v := range variants(name+"[0]", elem) {
				s := reflect.MakeSlice(t, 1, 1)
				s.Index(0).Set(v)
				out[sub] = s
			}
		} else {
			for sub, v := range fieldVariants(name+"[0]", elem) {
				s := reflect.MakeSlice(t, 1, 1)
				s.Index(0).Set(v)
				out[sub] = s
			}
			out[name+" one empty"] = reflect.MakeSlice(t, 1, 1)
		}
	default:
		panic("fingerprint test: no variant for " + name + " of kind " + t.Kind().String())
	}
	return out
}
