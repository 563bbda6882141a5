package main

import (
	"fmt"
	"strconv"
	"strings"
)

// parse reads the text form of harness/OPS.md. Ops Go cannot express make
// the whole program not expressible (an error value starting with "not
// expressible:"); syntax the executor would reject is "oracle error:".
func parse(lines []string) ([]op, []*object, error) {
	var ops []op
	var objs []*object
	names := map[string]*object{}
	bad := func(n int, f string, a ...any) error {
		return fmt.Errorf("oracle error: line %d: %s", n+1, fmt.Sprintf(f, a...))
	}
	no := func(why string) error { return fmt.Errorf("not expressible: %s", why) }
	num := func(s string) (uint64, error) { return strconv.ParseUint(s, 0, 64) }
	lookup := func(s string) *object { return names[s] }
	parseRef := func(s string) (ref, bool) {
		if s == "nil" {
			return ref{}, true
		}
		name, offs, hasOff := strings.Cut(s, "+")
		o := lookup(name)
		if o == nil {
			return ref{}, false
		}
		var off uint64
		if hasOff {
			var err error
			if off, err = num(offs); err != nil || (off >= uint64(o.size) && off > 0) {
				return ref{}, false
			}
		}
		return ref{o, uintptr(off)}, true
	}
	for n, line := range lines {
		if strings.HasPrefix(strings.TrimSpace(line), "# run-with:") {
			f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "# run-with:"))
			for i := 0; i < len(f); i++ {
				switch f[i] {
				case "--cap":
					return nil, nil, no("a heap cap (# run-with: --cap)")
				case "--profrate":
					if i+1 < len(f) {
						if r, err := num(f[i+1]); err != nil || r > 1 {
							return nil, nil, no("profile rate above 1 (# run-with: --profrate)")
						}
					}
				}
			}
		}
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		w := strings.Fields(line)
		if len(w) == 0 {
			continue
		}
		switch {
		case len(w) >= 3 && w[1] == "=" && w[2] == "alloc":
			if len(w) < 4 {
				return nil, nil, bad(n, "alloc without a size")
			}
			size, err := num(w[3])
			if err != nil {
				return nil, nil, bad(n, "bad size %q", w[3])
			}
			var ptrs uint64
			if len(w) > 4 {
				if !strings.HasPrefix(w[4], "ptrs=") {
					return nil, nil, bad(n, "bad alloc operand %q", w[4])
				}
				if ptrs, err = num(strings.TrimPrefix(w[4], "ptrs=")); err != nil {
					return nil, nil, bad(n, "bad ptrs %q", w[4])
				}
			}
			if ptrs*8 > size {
				return nil, nil, no("alloc with more pointer words than the size holds (allocfuzz: BADARG)")
			}
			if size > 8<<20 {
				return nil, nil, no("an object over 8 MiB (allocfuzz's default 16 MiB cap may refuse it)")
			}
			o := &object{name: w[0], idx: int32(len(objs)), size: uintptr(size), ptrs: uintptr(ptrs)}
			o.typ = objType(o.size, o.ptrs)
			names[w[0]] = o
			objs = append(objs, o)
			ops = append(ops, op{kind: opAlloc, obj: o})
		case w[0] == "root" && len(w) == 3:
			slot, err := num(w[1])
			r, ok := parseRef(w[2])
			if err != nil || slot >= 64 || !ok {
				return nil, nil, bad(n, "bad root")
			}
			ops = append(ops, op{kind: opRoot, slot: int(slot), ref: r})
		case w[0] == "store" && len(w) == 3:
			name, idx, _ := strings.Cut(w[1], ".")
			o := lookup(name)
			i, err := num(idx)
			r, ok := parseRef(w[2])
			if o == nil || err != nil || !ok || i >= uint64(o.ptrs) {
				return nil, nil, bad(n, "bad store")
			}
			ops = append(ops, op{kind: opStore, obj: o, slot: int(i), ref: r})
		case w[0] == "setfin" && len(w) == 3:
			r, ok := parseRef(w[1])
			if !ok || r.obj == nil {
				return nil, nil, bad(n, "bad setfin subject")
			}
			act := actKeep
			switch {
			case w[2] == "keep":
			case w[2] == "refin":
				act = actRefin
			case strings.HasPrefix(w[2], "resurrect:"):
				s, err := num(strings.TrimPrefix(w[2], "resurrect:"))
				if err != nil || s >= 64 {
					return nil, nil, bad(n, "bad resurrect slot")
				}
				act = int(s)
			default:
				return nil, nil, bad(n, "bad finalizer action %q", w[2])
			}
			ops = append(ops, op{kind: opSetfin, ref: r, act: act})
		case w[0] == "clearfin" && len(w) == 2:
			o := lookup(w[1])
			if o == nil {
				return nil, nil, bad(n, "bad clearfin")
			}
			ops = append(ops, op{kind: opClearfin, obj: o})
		case w[0] == "gc" && len(w) == 1:
			ops = append(ops, op{kind: opGC})
		case w[0] == "runfin" && len(w) == 1:
			ops = append(ops, op{kind: opRunfin})
		case w[0] == "sweep" && len(w) == 1, w[0] == "check", w[0] == "stack", w[0] == "expect":
			// finishing the sweep: Go's runtime.GC already did; stack: profiles are
			// compared summed over stacks; the rest observe nothing Go shows
		case w[0] == "profrate" && len(w) == 2:
			r, err := num(w[1])
			if err != nil || r > 1 {
				return nil, nil, no("profrate above 1 (Go's sampling is its own random stream)")
			}
			ops = append(ops, op{kind: opProfrate, slot: int(r)})
		case w[0] == "free":
			return nil, nil, no("explicit free (Go has none)")
		case w[0] == "scavenge":
			return nil, nil, no("scavenge (not observable in Go)")
		case w[0] == "sweep":
			return nil, nil, no("sweep N (Go cannot stop a sweep after N spans)")
		case w[0] == "proc":
			return nil, nil, no("proc (the oracle runs on one P)")
		default:
			return nil, nil, bad(n, "cannot read %q", strings.TrimSpace(line))
		}
	}
	return ops, objs, nil
}
