/* For every small class and every byte offset of its span (object starts
 * and interior offsets alike, up to and including the span end), the
 * multiply-shift with class_to_divmagic equals the true division by the
 * reference object size, through the same mspan_objindex the allocator uses. */
#define AF_WHITEBOX
#include "alloc/testing.h"
#include "oracles/ref_sizeclasses.h"
#include "tests/t.h"

int main(void)
{
	ref_sizeclasses_t ref;
	REQUIRE(ref_sizeclasses_load(&ref, NULL) == 0);
	REQUIRE(ref.n == NUM_SIZE_CLASSES);
	static mspan_t s;
	s.startaddr = (uintptr_t)7 << 30;   /* any page-aligned base */
	long checked = 0;
	for (int c = 1; c < ref.n; c++) {
		s.divmagic = class_to_divmagic[c];
		int bad = 0;
		for (long off = 0; off <= ref.span[c]; off++) {
			uintptr_t idx = mspan_objindex(&s, s.startaddr + (uintptr_t)off);
			if (idx != (uintptr_t)(off / ref.size[c]) && bad++ < 3)
				fprintf(stderr, "class %d off %ld: index %zu want %ld\n",
					c, off, (size_t)idx, off / ref.size[c]);
			checked++;
		}
		CHECK_EQ(bad, 0);
		/* the last object's start maps to the last index */
		long last = (ref.objects[c] - 1) * ref.size[c];
		CHECK_EQ(mspan_objindex(&s, s.startaddr + (uintptr_t)last), ref.objects[c] - 1);
	}
	fprintf(stderr, "%ld offsets checked\n", checked);
	return T_DONE();
}
