/*
 * The executor's address map: live object address -> model id, an open
 * addressing table that is cleared in O(1) between inputs (generations).
 */
#include "harness/exec_internal.h"

static size_t ahash(uintptr_t k, size_t cap) { return (size_t)((k >> 3) * 0x9E3779B97F4A7C15ull >> 20) & (cap - 1); }
static bool aval(const amap_t *m, size_t i) { return m->gen[i] == m->cur; }

void amap_clear(amap_t *m)
{
	m->n = 0;
	if (++m->cur == 0) {
		memset(m->gen, 0, m->cap * sizeof *m->gen);
		m->cur = 1;
	}
}

static size_t amap_find(const amap_t *m, uintptr_t k)
{
	if (!m->cap)
		return SIZE_MAX;
	for (size_t i = ahash(k, m->cap); aval(m, i); i = (i + 1) & (m->cap - 1))
		if (m->key[i] == k)
			return i;
	return SIZE_MAX;
}

void amap_put(amap_t *m, uintptr_t k, int32_t v)
{
	if (2 * (m->n + 1) > m->cap) {
		amap_t nm = { 0, 0, 0, m->cap ? 2 * m->cap : 1024, 0, 1 };
		nm.key = xrealloc(NULL, nm.cap * sizeof *nm.key);
		nm.val = xrealloc(NULL, nm.cap * sizeof *nm.val);
		nm.gen = calloc(nm.cap, sizeof *nm.gen);
		for (size_t i = 0; i < m->cap; i++)
			if (aval(m, i))
				amap_put(&nm, m->key[i], m->val[i]);
		free(m->key);
		free(m->val);
		free(m->gen);
		*m = nm;
	}
	size_t i = ahash(k, m->cap);
	while (aval(m, i) && m->key[i] != k)
		i = (i + 1) & (m->cap - 1);
	if (!aval(m, i))
		m->n++;
	m->key[i] = k;
	m->val[i] = v;
	m->gen[i] = m->cur;
}

/* Linear-probing delete with backward shift (no tombstones). */
void amap_del(amap_t *m, uintptr_t k)
{
	size_t i = amap_find(m, k), mask = m->cap - 1;
	if (i == SIZE_MAX)
		return;
	m->gen[i] = m->cur - 1;
	m->n--;
	for (size_t j = (i + 1) & mask; aval(m, j); j = (j + 1) & mask) {
		size_t h = ahash(m->key[j], m->cap);
		/* move j to the hole i unless its home h lies cyclically in (i, j] */
		bool stays = i <= j ? (h > i && h <= j) : (h > i || h <= j);
		if (stays)
			continue;
		m->key[i] = m->key[j];
		m->val[i] = m->val[j];
		m->gen[i] = m->cur;
		m->gen[j] = m->cur - 1;
		i = j;
	}
}

int32_t amap_get(const amap_t *m, uintptr_t k)
{
	size_t i = amap_find(m, k);
	return i == SIZE_MAX ? MODEL_NIL : m->val[i];
}
