// Checks allocfuzz finalizer semantics against the real Go runtime (Debian golang-go, Go 1.19):
// go run tools/gocheck/finalizers.go. Expected (Go 1.19.8): A finalized at gc 1, B at gc 2;
// R finalized once though resurrected; a finalizer that re-arms itself runs every cycle;
// SetFinalizer accepts a tiny-allocated *int32.
package main

import (
	"fmt"
	"runtime"
)

type Obj struct {
	next *Obj
	pad  [4]uintptr
	name string
}

var fin []string
var keep *Obj

func main() {
	// chain A -> B, both with finalizers
	func() {
		a := &Obj{name: "A"}
		b := &Obj{name: "B"}
		a.next = b
		runtime.SetFinalizer(a, func(o *Obj) { fin = append(fin, o.name) })
		runtime.SetFinalizer(b, func(o *Obj) { fin = append(fin, o.name) })
	}()
	for i := 1; i <= 3; i++ {
		runtime.GC()
		runtime.Gosched()
		for j := 0; j < 100; j++ { runtime.Gosched() }
		fmt.Println("after gc", i, fin)
	}
	// resurrection
	fin = nil
	func() {
		r := &Obj{name: "R"}
		runtime.SetFinalizer(r, func(o *Obj) { fin = append(fin, o.name); keep = o })
	}()
	for i := 1; i <= 3; i++ {
		runtime.GC()
		for j := 0; j < 100; j++ { runtime.Gosched() }
		fmt.Println("resurrect gc", i, fin, keep != nil)
		keep = nil
	}
	// refin
	fin = nil
	var f func(o *Obj)
	n := 0
	f = func(o *Obj) { fin = append(fin, o.name); n++; if n < 3 { runtime.SetFinalizer(o, f) } }
	func() { x := &Obj{name: "X"}; runtime.SetFinalizer(x, f) }()
	for i := 1; i <= 4; i++ {
		runtime.GC()
		for j := 0; j < 100; j++ { runtime.Gosched() }
		fmt.Println("refin gc", i, fin)
	}
	// tiny interior setfinalizer allowed?
	type T struct{ a, b int32 }
	ts := make([]*T, 0)
	_ = ts
	func() {
		t1 := new(int32)
		t2 := new(int32)
		runtime.SetFinalizer(t2, func(p *int32) { fin = append(fin, "t2") })
		_ = t1
	}()
	fmt.Println("tiny setfinalizer ok")
}
