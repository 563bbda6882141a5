package main

// The seeded program generator: valid .ops programs (harness/OPS.md) that
// use only what Go can express, aimed at the collector's finalizer rules:
// cycles through finalizer objects, self and mutual references, chains,
// interior pointers (small, past 64 KiB and past Go's 128 KiB oblets),
// resurrection and re-arming, tiny objects with finalizers, large objects,
// roots dropped and re-set.
//
// A program may only name objects that are certainly alive. The generator
// knows that much without a model: whatever its own root slots (0..47)
// reach through its own stores survives every collection under any correct
// rule. Resurrection writes slots 48..63, which it treats as unknown. An
// object with a finalizer that may have been queued gets clearfin before
// setfin (setfin on a set finalizer is FIN_EXISTS; Go throws).
//
// Tiny objects with finalizers appear in every form whose Go behaviour is
// deterministic on one P: at offset 0 and at interior offsets of the
// sub-object. Left out: a finalizer at an offset of a non-tiny object
// (Go throws) and sub-objects of blocks started before the program (the
// oracle gives each program a P without a tiny block).

import (
	"fmt"
	"math/rand"
	"strings"
)

type gobj struct {
	name     string
	size     int
	ptrs     int
	slots    map[int]int // slot -> target object (generator's own stores)
	usable   bool
	finMaybe bool
	finInner bool // a finalizer at an interior offset: clearfin cannot remove it
}

type generator struct {
	r     *rand.Rand
	objs  []*gobj
	roots [48]int // -1: nil or unknown
	lines []string
	large int
}

func generate(seed int64) string {
	g := &generator{r: rand.New(rand.NewSource(seed))}
	for i := range g.roots {
		g.roots[i] = -1
	}
	n := 8 + g.r.Intn(30)
	for len(g.lines) < n {
		g.step()
	}
	g.emit("gc")
	g.emit("runfin")
	g.collect()
	g.collect()
	return strings.Join(g.lines, "\n") + "\n"
}

func (g *generator) emit(f string, a ...any) { g.lines = append(g.lines, fmt.Sprintf(f, a...)) }

func (g *generator) usable() []*gobj {
	var u []*gobj
	for _, o := range g.objs {
		if o.usable {
			u = append(u, o)
		}
	}
	return u
}

func (g *generator) pick() *gobj {
	u := g.usable()
	if len(u) == 0 {
		return g.alloc()
	}
	if g.r.Intn(3) == 0 { // favour the newest objects
		return u[len(u)-1]
	}
	return u[g.r.Intn(len(u))]
}

func (g *generator) alloc() *gobj {
	o := &gobj{name: fmt.Sprintf("o%d", len(g.objs)), slots: map[int]int{}, usable: true}
	switch k := g.r.Intn(20); {
	case k < 4: // tiny
		o.size = 1 + g.r.Intn(15)
	case k < 12:
		o.size = 16 + g.r.Intn(1009)
		o.ptrs = 1 + g.r.Intn(min(4, o.size/8))
		if g.r.Intn(5) == 0 {
			o.ptrs = o.size / 8
		}
	case k < 15:
		o.size = 1025 + g.r.Intn(32768-1024)
		o.ptrs = g.r.Intn(5)
	default:
		if g.large >= 6 {
			o.size = 64 + g.r.Intn(512)
			o.ptrs = 1 + g.r.Intn(3)
			break
		}
		g.large++
		o.size = 32769 + g.r.Intn(600<<10)
		o.ptrs = 1 + g.r.Intn(3)
		if g.r.Intn(4) == 0 {
			o.ptrs = o.size / 8
		}
	}
	if o.ptrs > 0 {
		g.emit("%s = alloc %d ptrs=%d", o.name, o.size, o.ptrs)
	} else {
		g.emit("%s = alloc %d", o.name, o.size)
	}
	g.objs = append(g.objs, o)
	return o
}

// off: an offset into o, biased to 0, to small ones, and past 64 KiB and
// 128 KiB in large objects.
func (g *generator) off(o *gobj) int {
	switch k := g.r.Intn(10); {
	case k < 5 || o.size <= 1:
		return 0
	case k < 8 || o.size <= 64<<10:
		return g.r.Intn(min(o.size, 256))
	default:
		return 64<<10 + g.r.Intn(o.size-64<<10)
	}
}

func (g *generator) ref(o *gobj) string {
	if off := g.off(o); off != 0 {
		return fmt.Sprintf("%s+%d", o.name, off)
	}
	return o.name
}

func (g *generator) slot(o *gobj) int {
	if o.ptrs > 16384 && g.r.Intn(2) == 0 { // past the first 128 KiB oblet
		return 16384 + g.r.Intn(o.ptrs-16384)
	}
	return g.r.Intn(min(o.ptrs, 4))
}

func (g *generator) store(a, b *gobj) {
	s := g.slot(a)
	if b == nil {
		g.emit("store %s.%d nil", a.name, s)
		delete(a.slots, s)
		return
	}
	g.emit("store %s.%d %s", a.name, s, g.ref(b))
	a.slots[s] = index(g.objs, b)
}

func (g *generator) setfin(o *gobj) {
	if o.finInner {
		return
	}
	if o.finMaybe {
		g.emit("clearfin %s", o.name)
	}
	o.finMaybe = true
	subj := o.name
	if o.ptrs == 0 && o.size < 16 && o.size > 1 && g.r.Intn(3) == 0 {
		subj = fmt.Sprintf("%s+%d", o.name, 1+g.r.Intn(o.size-1))
		o.finInner = true
	}
	switch g.r.Intn(4) {
	case 0, 1:
		g.emit("setfin %s keep", subj)
	case 2:
		g.emit("setfin %s resurrect:%d", subj, 48+g.r.Intn(16))
	default:
		g.emit("setfin %s refin", subj)
	}
}

// collect: after a gc only what the generator's roots reach is usable.
func (g *generator) collect() {
	g.emit("gc")
	for _, o := range g.objs {
		o.usable = false
	}
	var walk func(i int)
	walk = func(i int) {
		if i < 0 || g.objs[i].usable {
			return
		}
		g.objs[i].usable = true
		for _, t := range g.objs[i].slots {
			walk(t)
		}
	}
	for _, r := range g.roots {
		walk(r)
	}
}

func (g *generator) withPtrs() *gobj {
	for i := 0; i < 4; i++ {
		if o := g.pick(); o.ptrs > 0 {
			return o
		}
	}
	o := &gobj{name: fmt.Sprintf("o%d", len(g.objs)), size: 8 * (2 + g.r.Intn(20)), slots: map[int]int{}, usable: true}
	o.ptrs = 1 + g.r.Intn(2)
	g.emit("%s = alloc %d ptrs=%d", o.name, o.size, o.ptrs)
	g.objs = append(g.objs, o)
	return o
}

func (g *generator) step() {
	switch k := g.r.Intn(100); {
	case k < 20:
		g.alloc()
	case k < 40:
		a := g.withPtrs()
		switch m := g.r.Intn(10); {
		case m < 3:
			g.store(a, a) // self reference
		case m < 8:
			g.store(a, g.pick())
		default:
			g.store(a, nil)
		}
	case k < 50:
		s := g.r.Intn(48)
		if g.r.Intn(3) == 0 {
			g.emit("root %d nil", s)
			g.roots[s] = -1
		} else {
			o := g.pick()
			g.emit("root %d %s", s, g.ref(o))
			g.roots[s] = index(g.objs, o)
		}
	case k < 52:
		g.emit("root %d nil", 48+g.r.Intn(16))
	case k < 64:
		g.setfin(g.pick())
	case k < 66:
		o := g.pick()
		g.emit("clearfin %s", o.name)
		o.finMaybe = false
	case k < 72: // a motif: two finalizer objects pointing at each other, or a chain
		a, b := g.withPtrs(), g.withPtrs()
		g.store(a, b)
		if g.r.Intn(2) == 0 {
			g.store(b, a)
		}
		g.setfin(a)
		if a != b {
			g.setfin(b)
		}
	case k < 86:
		g.collect()
	default:
		g.emit("runfin")
	}
}

func index(objs []*gobj, o *gobj) int {
	for i, x := range objs {
		if x == o {
			return i
		}
	}
	return -1
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}
