// Command oracle runs allocfuzz op programs (harness/OPS.md) on the real Go
// runtime and prints what Go observes, in the lines `allocfuzz run -v`
// observations are normalized to by gocheck:
//
//	alloc NAME SIZE elemsize E [tiny BLOCK+OFF]   (BLOCK: first object of the tiny block)
//	gc N finalized: NAMES                    (NAME+OFF for an interior finalizer)
//	gc N freed: NAMES
//	gc N profile: allocs A B frees F G        (the program's objects in runtime.MemProfile)
//
// Input on stdin: programs, each introduced by a line "=== ID". Output: the
// same "=== ID" line, then the observations, or one line
// "not expressible: REASON" for a program Go cannot run as the op language
// means it (explicit free, scavenge, sweep N, proc, profrate > 1, a heap cap,
// an op that is an error in allocfuzz), or "oracle error: ..." when Go's
// heap contradicts what the program assumes (an op on an object Go freed).
//
// How the op language maps onto Go:
//   - an object of SIZE bytes with K pointer words is reflect.New of a type
//     built at parse time: struct{ P [K]unsafe.Pointer; B [SIZE-8K]byte } (K > 0)
//     or [SIZE]byte (K = 0), so Go's collector scans exactly K words and a
//     noscan object under 16 bytes goes to the tiny allocator (a struct
//     with pointers rounds SIZE up to 8 bytes: every size class is a
//     multiple of 8, so its class and elemsize are the same);
//   - the oracle holds objects only as uintptr; roots are the global
//     [64]unsafe.Pointer; store writes the pointer slot itself;
//   - a finalizer records the object and its action and keeps the object in
//     `pending` (a root, as allocfuzz's queue is) until runfin applies the
//     actions in ascending (object, offset) order, as the executor does;
//   - GOMAXPROCS=1, LockOSThread (the tiny block is per P), automatic GC
//     off, MemProfileRate=1 (profrate 0 and 1 set it); the op loop allocates
//     nothing but the program's objects, so Go's tiny packing and heap
//     profile are the program's alone.
package main

import (
	"bufio"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"unsafe"
)

var roots [64]unsafe.Pointer

// Finalized objects whose action has not run yet: roots, as the queue.
var (
	pending    = make([]unsafe.Pointer, 0, 1<<16)
	pendingAct = make([]int, 0, 1<<16)
)

const (
	actNone  = -3 // clear the finalizer
	actKeep  = -1
	actRefin = -2
	// 0..63: resurrect into that root slot
)

// One finalizer closure per action, built once: a closure made at setfin
// time would be a heap allocation inside the op loop.
var finFuncs = func() map[int]func(any) {
	m := map[int]func(any){}
	for a := -2; a < 64; a++ {
		a := a
		m[a] = func(x any) {
			pending = append(pending, (*[2]unsafe.Pointer)(unsafe.Pointer(&x))[1])
			pendingAct = append(pendingAct, a)
		}
	}
	return m
}()

func main() {
	if len(os.Args) > 1 {
		if os.Args[1] == "-h" || os.Args[1] == "--help" {
			fmt.Print(usage)
			return
		}
		if os.Args[1] == "--version" {
			fmt.Println(runtime.Version())
			return
		}
		fmt.Fprintf(os.Stderr, "oracle: unknown argument %q\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if !strings.HasPrefix(runtime.Version(), "go1.19") {
		fmt.Fprintf(os.Stderr, "oracle: built with %s; its runtime layouts are Go 1.19's\n", runtime.Version())
		os.Exit(2)
	}
	runtime.MemProfileRate = 1
	runtime.GOMAXPROCS(1)
	runtime.LockOSThread()
	debug.SetGCPercent(-1)
	warmUp()
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	var id string
	var lines []string
	flush := func() {
		if id != "" {
			fmt.Fprintf(out, "=== %s\n", id)
			runProgram(out, lines)
			out.Flush()
		}
		lines = lines[:0]
	}
	for in.Scan() {
		l := in.Text()
		if strings.HasPrefix(l, "=== ") {
			flush()
			id = strings.TrimPrefix(l, "=== ")
			continue
		}
		lines = append(lines, l)
	}
	flush()
}

const usage = `usage: oracle < PROGRAMS
Runs allocfuzz op programs on the Go runtime it was built with (Go 1.19).
Each program on stdin starts with a line "=== ID"; the output repeats it and
then prints what Go observed (see the top of oracles/go/oracle/main.go).
  --version   print the Go version the oracle runs on
`

// warmUp makes the finalizer goroutine allocate its argument frame (once,
// mfinal.go runfinq) before any program runs, so it never allocates on the
// program's P between ops.
func warmUp() {
	t := reflect.ArrayOf(32, reflect.TypeOf(byte(0)))
	func() {
		p := reflect.New(t)
		runtime.SetFinalizer(p.Interface(), finFuncs[actKeep])
	}()
	collect()
	waitFinalizers()
	pending, pendingAct = pending[:0], pendingAct[:0]
	collect()
	findObjectPC()
	checkLayout()
}

// checkLayout: the mspan offsets in runtime.go read what they should on
// live and freed objects of known sizes, or the oracle refuses to run.
func checkLayout() {
	small := newObject(objType(48, 1))
	large := newObject(objType(100<<10, 1))
	ok := elemsize(small) == 48 && elemsize(large) == 13*8192 &&
		slotAllocated(small) && slotAllocated(large)
	collect()
	if !ok || slotAllocated(small) || slotAllocated(large) {
		fmt.Fprintln(os.Stderr, "oracle: this runtime's mspan layout is not the one runtime.go reads")
		os.Exit(2)
	}
}

func collect() { runtime.GC() }

// The heap profile of the program's objects: the records whose stack passes
// through newObject (every object of a program is allocated there, nothing
// else is), summed, as runtime.MemProfile shows them right after
// runtime.GC(). The buffer is allocated once: reading allocates nothing.
var (
	profBuf     = make([]runtime.MemProfileRecord, 1<<14)
	objectPC    uintptr // the return address inside newObject on its stacks
	objectDepth int     // its index on the stacks of the program's objects
)

type profile struct{ allocs, allocBytes, frees, freeBytes int64 }

func readProfile() profile {
	n, ok := runtime.MemProfile(profBuf, true)
	if !ok {
		panic(oracleError("more heap profile records than the oracle's buffer"))
	}
	var t profile
	for _, r := range profBuf[:n] {
		if r.Stack0[objectDepth] == objectPC {
			t.allocs += r.AllocObjects
			t.allocBytes += r.AllocBytes
			t.frees += r.FreeObjects
			t.freeBytes += r.FreeBytes
		}
	}
	return t
}

// findObjectPC: allocate through newObject and find its frame in the profile.
func findObjectPC() {
	newObject(reflect.ArrayOf(48, reflect.TypeOf(byte(0))))
	collect()
	n, _ := runtime.MemProfile(profBuf, true)
	for _, r := range profBuf[:n] {
		for i, pc := range r.Stack() {
			name := ""
			if f := runtime.FuncForPC(pc - 1); f != nil {
				name = f.Name()
			}
			if name == "main.newObject" {
				objectPC, objectDepth = pc, i
				return
			}
			if !strings.Contains(name, "unsafe_New") {
				break // an allocation below newObject's own: not the object
			}
		}
	}
	fmt.Fprintln(os.Stderr, "oracle: newObject not found on any heap profile stack")
	os.Exit(2)
}

// waitFinalizers returns once every queued finalizer has run (finalizersIdle
// explains why the condition is exact).
func waitFinalizers() {
	for !finalizersIdle() {
		runtime.Gosched()
	}
}

type notExpressible string
type oracleError string

type object struct {
	name string
	idx  int32
	size uintptr
	ptrs uintptr
	typ  reflect.Type // element type
	addr uintptr      // 0: not allocated yet; zerobase for size 0
	dead bool
	fins uint16 // offsets (< 16) holding a finalizer Go has not queued yet
}

type ref struct {
	obj *object // nil: nil
	off uintptr
}

type op struct {
	kind opKind
	obj  *object
	slot int
	ref  ref
	act  int
}

type opKind int

const (
	opAlloc opKind = iota
	opRoot
	opStore
	opSetfin
	opClearfin
	opGC
	opRunfin
	opProfrate
	opNothing // check, stack, sweep (finish), expect
)

// What the op loop saw, formatted only after the program: the loop must not
// allocate (a string under 16 bytes would take the program's tiny block).
type event struct {
	kind  opKind // opAlloc; opGC: a finalizer queued (obj, off), freed (obj, freed), or the gc's end (no obj)
	obj   *object
	off   uintptr
	val   uintptr // alloc: elemsize; gc: number
	block *object // alloc of a tiny object: the block's first object
	freed bool
	prof  profile // gc end: the program's heap profile
}

// runProgram parses the whole program (building every type first), runs
// it, resets the heap, and prints.
func runProgram(out *bufio.Writer, lines []string) {
	ops, objs, err := parse(lines)
	if err != nil {
		fmt.Fprintln(out, err)
		return
	}
	ev := make([]event, 0, 4*len(ops)+4*len(objs)*countGC(ops)+16)
	var stop string
	clean()
	func() {
		defer func() {
			if r := recover(); r != nil {
				switch e := r.(type) {
				case notExpressible:
					stop = "not expressible: " + string(e)
				case oracleError:
					stop = "oracle error: " + string(e)
				default:
					panic(r)
				}
			}
		}()
		execute(ops, objs, &ev)
	}()
	reset(objs)
	if strings.HasPrefix(stop, "not expressible") {
		fmt.Fprintln(out, stop)
		return
	}
	var fin, freed []string
	for _, e := range ev {
		switch {
		case e.kind == opAlloc && e.obj.size == 0:
			fmt.Fprintf(out, "alloc %s 0 zerobase\n", e.obj.name)
		case e.kind == opAlloc && e.block != nil:
			fmt.Fprintf(out, "alloc %s %d elemsize %d tiny %s+%d\n", e.obj.name, e.obj.size, e.val, e.block.name, e.off)
		case e.kind == opAlloc:
			fmt.Fprintf(out, "alloc %s %d elemsize %d\n", e.obj.name, e.obj.size, e.val)
		case e.kind == opGC && e.obj == nil:
			fmt.Fprintf(out, "gc %d finalized:%s\n", e.val, joinNatural(fin))
			fmt.Fprintf(out, "gc %d freed:%s\n", e.val, joinNatural(freed))
			fmt.Fprintf(out, "gc %d profile: allocs %d %d frees %d %d\n", e.val,
				e.prof.allocs, e.prof.allocBytes, e.prof.frees, e.prof.freeBytes)
			fin, freed = nil, nil
		case e.freed:
			freed = append(freed, e.obj.name)
		default:
			fin = append(fin, refName(e.obj.name, e.off))
		}
	}
	if stop != "" {
		fmt.Fprintln(out, stop)
	}
}

func countGC(ops []op) int {
	n := 1
	for _, o := range ops {
		if o.kind == opGC {
			n++
		}
	}
	return n
}

// reset: drop every root, finalizer and pending record of a program.
func reset(objs []*object) {
	for i := range roots {
		roots[i] = nil
	}
	for _, o := range objs {
		for off := uintptr(0); off < 16; off++ {
			if o.fins&(1<<off) != 0 && !o.dead {
				setFinalizer(o, off, actNone)
			}
		}
	}
	for i := range pending {
		pending[i] = nil
	}
	pending, pendingAct = pending[:0], pendingAct[:0]
}

// clean runs right before a program: reset left nothing that keeps the
// last program's objects (no root, finalizer or pending record), so one
// collection frees them and leaves the P without a tiny block
// (runtime.GC flushes every mcache), whatever the oracle allocated since.
func clean() {
	collect()
}

var typeCache = map[[2]uintptr]reflect.Type{}

func objType(size, ptrs uintptr) reflect.Type {
	k := [2]uintptr{size, ptrs}
	if t, ok := typeCache[k]; ok {
		return t
	}
	var t reflect.Type
	if ptrs == 0 {
		t = reflect.ArrayOf(int(size), reflect.TypeOf(byte(0)))
	} else {
		p := reflect.ArrayOf(int(ptrs), reflect.TypeOf(unsafe.Pointer(nil)))
		if size <= 8*ptrs {
			t = p
		} else {
			t = reflect.StructOf([]reflect.StructField{
				{Name: "P", Type: p},
				{Name: "B", Type: reflect.ArrayOf(int(size-8*ptrs), reflect.TypeOf(byte(0)))},
			})
		}
	}
	reflect.PtrTo(t) // cached by reflect: NewAt in the op loop finds it
	typeCache[k] = t
	return t
}

// object containing p among the program's live objects (tiny sub-objects
// of one block do not overlap).
func byAddr(objs []*object, p uintptr) (*object, uintptr) {
	for _, o := range objs {
		if o.addr != 0 && !o.dead && o.size > 0 && p >= o.addr && p < o.addr+o.size {
			return o, p - o.addr
		}
	}
	panic(oracleError("a finalizer ran on an address that is no object of the program"))
}

func live(o *object) *object {
	if o.dead {
		panic(oracleError("an op names " + o.name + ", which Go freed"))
	}
	return o
}

// The op loop handles the program's objects only as uintptr; every
// conversion to a pointer happens in one of these small functions, kept out
// of line so that no pointer can linger in execute's frame when it calls
// runtime.GC (a stale stack slot would keep an object alive).
func addr(r ref) uintptr {
	if r.obj == nil {
		return 0
	}
	return live(r.obj).addr + r.off
}

// newObject allocates through reflect's unsafe_New (runtime
// reflect_unsafe_New: mallocgc(typ.size, typ, true)) rather than
// reflect.New, whose pointer-type cache (a sync.Map) may allocate too.
//
//go:noinline
func newObject(t reflect.Type) uintptr {
	return uintptr(unsafeNew((*[2]unsafe.Pointer)(unsafe.Pointer(&t))[1]))
}

//go:noinline
func setRoot(slot int, p uintptr) { roots[slot] = unsafe.Pointer(p) }

//go:noinline
func storeSlot(obj uintptr, slot int, p uintptr) {
	*(*unsafe.Pointer)(unsafe.Pointer(obj + 8*uintptr(slot))) = unsafe.Pointer(p)
}

//go:noinline
func setFinalizer(o *object, off uintptr, act int) {
	obj := reflect.NewAt(o.typ, unsafe.Pointer(o.addr+off)).Interface()
	if act == actNone {
		runtime.SetFinalizer(obj, nil)
	} else {
		runtime.SetFinalizer(obj, finFuncs[act])
	}
}

//go:noinline
func pendingAddr(j int) uintptr { return uintptr(pending[j]) }

// The pending records' order for runfin: ascending (object, offset).
type byObject struct{}

func (byObject) Len() int { return len(pending) }
func (byObject) Less(i, j int) bool {
	oi, offi := pendingObj[i], pendingOff[i]
	oj, offj := pendingObj[j], pendingOff[j]
	if oi.idx != oj.idx {
		return oi.idx < oj.idx
	}
	return offi < offj
}
func (byObject) Swap(i, j int) {
	pending[i], pending[j] = pending[j], pending[i]
	pendingAct[i], pendingAct[j] = pendingAct[j], pendingAct[i]
	pendingObj[i], pendingObj[j] = pendingObj[j], pendingObj[i]
	pendingOff[i], pendingOff[j] = pendingOff[j], pendingOff[i]
}

var (
	pendingObj = make([]*object, 1<<16)
	pendingOff = make([]uintptr, 1<<16)
)

func execute(ops []op, objs []*object, ev *[]event) {
	gcn := uintptr(0)
	runtime.MemProfileRate = 1
	base := readProfile()
	for i := range ops {
		o := &ops[i]
		switch o.kind {
		case opAlloc:
			ob := o.obj
			ob.addr = newObject(ob.typ)
			e := event{kind: opAlloc, obj: ob}
			if ob.size > 0 {
				e.val = elemsize(ob.addr)
			}
			if ob.size > 0 && ob.ptrs == 0 && ob.size < 16 {
				blk := ob.addr &^ 15
				e.off = ob.addr & 15
				if e.off == 0 {
					e.block = ob // Go starts every new tiny block with the object at offset 0
				}
				for j := ob.idx - 1; j >= 0 && e.block == nil; j-- {
					if b := objs[j]; b.addr == blk && !b.dead {
						e.block = b
					}
				}
				if e.block == nil {
					panic(oracleError("tiny object " + ob.name + " in a block no object of the program started"))
				}
			}
			*ev = append(*ev, e)
		case opRoot:
			setRoot(o.slot, addr(o.ref))
		case opStore:
			storeSlot(live(o.obj).addr, o.slot, addr(o.ref))
		case opSetfin:
			r := o.ref
			live(r.obj)
			if r.obj.size == 0 {
				continue // the zero base: Go and allocfuzz ignore it
			}
			if r.off != 0 && !(r.obj.ptrs == 0 && r.obj.size < 16) {
				panic(notExpressible("setfin at an interior offset of a non-tiny object (Go throws; allocfuzz: INTERIOR)"))
			}
			if r.obj.fins&(1<<r.off) != 0 {
				panic(notExpressible("setfin where a finalizer is set (Go throws; allocfuzz: FIN_EXISTS)"))
			}
			r.obj.fins |= 1 << r.off
			setFinalizer(r.obj, r.off, o.act)
		case opClearfin:
			if live(o.obj).size == 0 {
				continue
			}
			o.obj.fins &^= 1
			setFinalizer(o.obj, 0, actNone)
		case opGC:
			gcn++
			before := len(pending)
			collect()
			p := readProfile()
			p = profile{p.allocs - base.allocs, p.allocBytes - base.allocBytes, p.frees - base.frees, p.freeBytes - base.freeBytes}
			for _, ob := range objs {
				if ob.addr != 0 && !ob.dead && ob.size > 0 && !slotAllocated(ob.addr) {
					ob.dead = true
					*ev = append(*ev, event{kind: opGC, obj: ob, freed: true})
				}
			}
			waitFinalizers()
			for j := before; j < len(pending); j++ {
				ob, off := byAddr(objs, pendingAddr(j))
				ob.fins &^= 1 << off
				pendingObj[j], pendingOff[j] = ob, off
				*ev = append(*ev, event{kind: opGC, obj: ob, off: off})
			}
			*ev = append(*ev, event{kind: opGC, val: gcn, prof: p}) // the end of this gc's events
		case opProfrate:
			runtime.MemProfileRate = o.slot
		case opRunfin:
			waitFinalizers()
			sort.Sort(byObject{})
			for j := range pending {
				ob, off := pendingObj[j], pendingOff[j]
				switch a := pendingAct[j]; {
				case a >= 0:
					setRoot(a, ob.addr+off)
				case a == actRefin && ob.fins&(1<<off) == 0:
					ob.fins |= 1 << off
					setFinalizer(ob, off, actKeep)
				}
				pending[j] = nil
			}
			pending, pendingAct = pending[:0], pendingAct[:0]
		}
	}
}

func refName(name string, off uintptr) string {
	if off == 0 {
		return name
	}
	return fmt.Sprintf("%s+%d", name, off)
}

// joinNatural: " a b c" in allocfuzz's order (digit runs compare as numbers).
func joinNatural(names []string) string {
	sort.Slice(names, func(i, j int) bool { return naturalLess(names[i], names[j]) })
	s := ""
	for _, n := range names {
		s += " " + n
	}
	return s
}

func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			x, y := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(x) != len(y) {
				return len(x) < len(y)
			}
			if x != y {
				return x < y
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
