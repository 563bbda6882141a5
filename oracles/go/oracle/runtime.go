package main

// The oracle's view into Go 1.19's runtime internals, by //go:linkname (the
// empty runtime.s lets the compiler accept body-less declarations). Only
// what an op program's observations need: whether an object's slot is still
// allocated after a collection, and whether the finalizer goroutine has run
// everything queued. Layouts are Go 1.19's (amd64); main refuses any other
// Go version, and checkLayout (main.go) verifies them on objects at startup.

import (
	"unsafe"
)

//go:linkname unsafeNew reflect.unsafe_New
func unsafeNew(typ unsafe.Pointer) unsafe.Pointer

//go:linkname spanOf runtime.spanOf
func spanOf(p uintptr) unsafe.Pointer

//go:linkname finq runtime.finq
var finq unsafe.Pointer

//go:linkname fingwait runtime.fingwait
var fingwait bool

//go:linkname fingRunning runtime.fingRunning
var fingRunning bool

// runtime.mspan (mheap.go, Go 1.19) field offsets on a 64-bit target.
const (
	spanStartAddr = 24
	spanFreeIndex = 48
	spanNelems    = 56
	spanAllocBits = 72
	spanState     = 99 // mSpanStateBox: one uint8
	spanElemsize  = 104
	spanLimit     = 112
	mSpanInUse    = 1
)

func spanField(s unsafe.Pointer, off uintptr) uintptr {
	return *(*uintptr)(unsafe.Add(s, off))
}

// slotAllocated: is the object at p still allocated? Right after
// runtime.GC() returns the sweep has finished and every mcache was flushed,
// so a slot is allocated iff its allocBits bit (the last mark) is set, or it
// lies below freeindex (mspan.isFree). A large object's span is no longer in
// use once freed.
func slotAllocated(p uintptr) bool {
	s := spanOf(p)
	if s == nil || *(*uint8)(unsafe.Add(s, spanState)) != mSpanInUse {
		return false
	}
	base := spanField(s, spanStartAddr)
	if p < base || p >= spanField(s, spanLimit) {
		return false
	}
	idx := (p - base) / spanField(s, spanElemsize)
	if idx < spanField(s, spanFreeIndex) {
		return true
	}
	bits := (*uint8)(unsafe.Pointer(spanField(s, spanAllocBits)))
	return *(*uint8)(unsafe.Add(unsafe.Pointer(bits), idx/8))&(1<<(idx%8)) != 0
}

// elemsize of the object at p (its size class's size, or the large span's).
func elemsize(p uintptr) uintptr {
	s := spanOf(p)
	if s == nil {
		return 0
	}
	return spanField(s, spanElemsize)
}

// finalizersIdle: every queued finalizer has run. runfinq (mfinal.go) takes
// the whole queue (finq = nil) under finlock, runs each record, and only
// when it finds finq empty again sets fingwait = true and parks, all under
// finlock (no preemption in between). So with one P, finq == nil && fingwait
// && !fingRunning holds exactly when nothing is queued and nothing is
// running; a queued finalizer makes finq non-nil until the goroutine takes
// it. The poll loop yields (Gosched) so that goroutine gets the P: it is a
// wait on a condition, never a sleep that could be too short.
func finalizersIdle() bool {
	return finq == nil && fingwait && !fingRunning
}
