/* test_slots.c - the mutants' per-buffer state table (wrap.h: mw_slot_*):
 * claim, lookup, release, init/fini calls, zeroed states, and a full table
 * that refuses a claim until a slot is released (TAP). */
#include "../../harness/tests/t.h"
#include "wrap.h"

const char mutant_name[] = "test-slots";
void mutant_patch(struct tlsh_implementation *d)
{
	(void)d;
}

struct st {
	tlsh_buffer *seen; /* the buffer init was called with */
	int junk;
	int inits;
};

static int n_init, n_fini;
static struct st *last_fini;

static void st_init(void *state, tlsh_buffer *b)
{
	struct st *w = state;
	n_init++;
	w->inits++; /* 1 only when the state was zeroed first */
	w->seen = b;
}

static void st_fini(void *state)
{
	n_fini++;
	last_fini = state;
}

static struct st states[MW_SLOTS];
static struct mw_slots slots = MW_SLOTS_OF(states, st_init, st_fini);

/* MW_SLOTS + 1 distinct buffer pointers. */
static char bufs[MW_SLOTS + 1];
#define BUF(i) ((tlsh_buffer *)(void *)&bufs[i])

int main(void)
{
	OK(mw_slot_find(&slots, BUF(0)) == NULL, "no state before a claim");
	states[0].inits = 5; /* what a free slot holds is not trusted */
	states[0].junk = 9;
	struct st *a = mw_slot_get(&slots, BUF(0));
	OK(a != NULL && n_init == 1 && a->seen == BUF(0) && a->inits == 1 && a->junk == 0,
	   "a claim runs init once on a zeroed state, with its buffer");
	OK(mw_slot_get(&slots, BUF(0)) == a && n_init == 1, "a second get finds it, no init");
	OK(mw_slot_find(&slots, BUF(0)) == a, "find returns the claimed state");
	OK(mw_slot_find(&slots, BUF(1)) == NULL, "find claims nothing");
	OK(mw_slot_get(&slots, NULL) == NULL && mw_slot_find(&slots, NULL) == NULL,
	   "a NULL buffer has no state");

	int distinct = 1;
	for (int i = 1; i < MW_SLOTS; i++) {
		struct st *w = mw_slot_get(&slots, BUF(i));
		distinct &= w != NULL && w != a && w->seen == BUF(i);
	}
	OK(distinct && n_init == MW_SLOTS, "%d buffers get %d states", MW_SLOTS, MW_SLOTS);
	OK(mw_slot_get(&slots, BUF(MW_SLOTS)) == NULL && n_init == MW_SLOTS,
	   "a full table refuses the next claim (NULL)");
	OK(mw_slot_find(&slots, BUF(MW_SLOTS)) == NULL, "the refused buffer has no state");

	struct st *mid = mw_slot_find(&slots, BUF(100));
	mid->junk = 42;
	mw_slot_release(&slots, BUF(100));
	OK(n_fini == 1 && last_fini == mid, "release runs fini once on its state");
	OK(mid->junk == 0 && mid->seen == NULL && mid->inits == 0, "a released state is zeroed");
	OK(mw_slot_find(&slots, BUF(100)) == NULL, "a released buffer has no state");
	mw_slot_release(&slots, BUF(100));
	mw_slot_release(&slots, BUF(MW_SLOTS));
	OK(n_fini == 1, "releasing a buffer without a state runs no fini");

	struct st *again = mw_slot_get(&slots, BUF(MW_SLOTS));
	OK(again == mid && again->seen == BUF(MW_SLOTS) && again->inits == 1,
	   "the freed slot serves the next claim, zeroed then init");
	OK(mw_slot_get(&slots, BUF(100)) == NULL, "and the table is full again");
	OK(mw_slot_find(&slots, BUF(0)) == a && a->seen == BUF(0), "other states are untouched");

	static struct st bare_states[MW_SLOTS];
	static struct mw_slots bare = MW_SLOTS_OF(bare_states, NULL, NULL);
	bare_states[0].junk = 3;
	struct st *z = mw_slot_get(&bare, BUF(7));
	OK(z == &bare_states[0] && z->inits == 0 && z->seen == NULL && z->junk == 0,
	   "without init a claim is the first free slot, zeroed");
	z->junk = 1;
	mw_slot_release(&bare, BUF(7));
	OK(z->junk == 0 && mw_slot_find(&bare, BUF(7)) == NULL, "without fini release zeroes");
	return t_done();
}
