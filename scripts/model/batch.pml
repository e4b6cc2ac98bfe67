/*
 * batch.pml: int3call's batched flip of two sites, for spin (scripts/model.sh, make model).
 *
 * int3.pml checks one site against a foreign int3 owner; this model checks what a batch adds:
 * each step of the step table runs over every site of the batch before the one sync after it
 * (rust/site.rs, module_engine; alternative.c, smp_text_poke_batch_finish), so a CPU can trap
 * on site A while site B's tail is being written, and the handler must find the site it
 * trapped on among the batch (sites::Layout::entry_of) and emulate the call from there.
 *
 * The same fetch rule as int3.pml: each CPU's view of a byte may be any value written there
 * since its last sync; a sync waits for every CPU in a handler. A site is byte 0 and one tail
 * byte (enough to see a tail behind a byte 0 of another generation). A caller executes a site
 * it picks (A or B); an execution acts as an instruction and *returns into* a site: the one it
 * called, unless the handler emulated the call from another.
 *
 * The module engine runs the step table rust/protocol.rs emits (steps.pml), each step over
 * both sites in address order. Build switches (-D): ENGINE (0 module, 1 kernel), EMULATION,
 * STEPS, CHECK_A/C/F/G, the mutants NEIGHBOUR (the lookup returns the other site of the pair:
 * busted=neighbour) and SKIP_SITE (the batch leaves site B unwritten: busted=skip_site); sizes
 * NCPU (2), NEXEC, NFLIPS (<= 2).
 */

#ifndef NCPU
#define NCPU 2
#endif
#ifndef NEXEC
#define NEXEC 1
#endif
#ifndef NFLIPS
#define NFLIPS 2
#endif
#ifndef ENGINE
#define ENGINE 0
#endif
#ifndef EMULATION
#define EMULATION 0
#endif
#ifndef STEPS
#define STEPS steps_int3_protocol
#endif
#ifndef CHECK_A
#define CHECK_A 0
#endif
#ifndef CHECK_C
#define CHECK_C 0
#endif
#ifndef CHECK_F
#define CHECK_F 0
#endif
#ifndef CHECK_G
#define CHECK_G 0
#endif
#ifndef NEIGHBOUR
#define NEIGHBOUR 0
#endif
#ifndef SKIP_SITE
#define SKIP_SITE 0
#endif

#define NSITES 2
#define I3 3
#define BIT(v) (1 << (v))
#define R_NOP 0
#define R_C 1
#define R_I 2
#define R_TORN 3
#define INSN(g) ((g) == 0 -> R_C : ((g) == 1 -> R_I : R_NOP))
#define TARGET_OF(p, k) ((p) == 0 -> INSN((k) + 1) : ((p) == 1 -> INSN(k) : R_NOP))

/* Memory and views, per site s: m0[s], m1[s]; view of CPU c: seen0[s * NCPU + c]. */
byte m0[NSITES], m1[NSITES];
byte seen0[NSITES * NCPU], seen1[NSITES * NCPU];
bit inh[NCPU], ipi[NCPU];
byte npend;
/* rust/site.rs: the window covers the whole batch (WINDOW_LO..WINDOW_HI); FLIPPING likewise. */
bit WINDOW, FLIPPING;
byte WINDOW_TARGET;
/* The kernel engine: refs and every entry's emulate target (the same for the batch). */
byte refs[NCPU];
byte ktarget;
byte newg, done;
bit busy;
byte inwin;
bit a_torn_instruction_ran, c_call_missed_or_illegal, c_trap_off_emulation,
    f_window_closed_on_a_handler, g_returned_into_another_site;

inline say(r) {
	if
	:: r == R_NOP -> printf("nop")
	:: r == R_C -> printf("call custom")
	:: r == R_I -> printf("call iterator")
	:: else -> printf("TORN")
	fi
}

inline refresh(c) {
	seen0[c] = BIT(m0[0]); seen1[c] = BIT(m1[0]);
	seen0[NCPU + c] = BIT(m0[1]); seen1[NCPU + c] = BIT(m1[1])
}

/* text_poke() of byte 0 or the tail of site s. */
inline wr0(s, v) {
	d_step { m0[s] = v; seen0[s * NCPU] = seen0[s * NCPU] | BIT(v); seen0[s * NCPU + 1] = seen0[s * NCPU + 1] | BIT(v) }
}
inline wr1(s, v) {
	d_step { m1[s] = v; seen1[s * NCPU] = seen1[s * NCPU] | BIT(v); seen1[s * NCPU + 1] = seen1[s * NCPU + 1] | BIT(v) }
}

inline sync_cpu(c) {
	if
	:: inh[c] -> ipi[c] = 1; npend++
	:: else -> refresh(c)
	fi
}
inline sync(n) {
	d_step { printf("flipper: sync %d (IPI to every CPU; waits for handlers)\n", n); sync_cpu(0); sync_cpu(1) }
	npend == 0
}

/* Each step over the batch, site A then site B (address order); skip_site leaves B out. */
#if SKIP_SITE
#define LAST 0
#else
#define LAST 1
#endif
inline plant_int3() {
	printf("flipper: plant int3 on byte 0 of each site\n");
	wr0(0, I3); if :: LAST == 1 -> wr0(1, I3) :: else fi
}
inline write_tail() {
	printf("flipper: write each site's tail, generation %d\n", newg);
	wr1(0, newg); if :: LAST == 1 -> wr1(1, newg) :: else fi
}
inline write_byte0() {
	printf("flipper: write each site's byte 0, generation %d\n", newg);
	wr0(0, newg); if :: LAST == 1 -> wr0(1, newg) :: else fi
}
inline write_all() {
	printf("flipper: write both sites whole, generation %d\n", newg);
	wr0(0, newg); wr1(0, newg); if :: LAST == 1 -> wr0(1, newg); wr1(1, newg) :: else fi
}

#include "steps.pml"

inline steps_kernel() {
	plant_int3(); sync(1); write_tail(); sync(2); write_byte0(); sync(3)
}

proctype flipper() {
	byte k = 0;
	do
	:: k < NFLIPS ->
		d_step {
			printf("flipper: batch flip %d of sites A and B, g%d -> g%d: ", k + 1, k, k + 1); say(INSN(k)); printf(" -> "); say(INSN(k + 1)); printf("\n");
			FLIPPING = 1; busy = 1; newg = k + 1
		}
#if ENGINE == 0
		WINDOW_TARGET = TARGET_OF(EMULATION, k);
		WINDOW = 1;
		STEPS();
		d_step {
			printf("flipper: window closed\n");
#if CHECK_F
			f_window_closed_on_a_handler = (inwin != 0);
			assert(!f_window_closed_on_a_handler);
#endif
			WINDOW = 0
		}
#else
		d_step { ktarget = TARGET_OF(EMULATION, k); refs[0] = 1; refs[1] = 1 }
		steps_kernel();
		refs[0]--; refs[0] == 0;
		refs[1]--; refs[1] == 0;
		d_step {
			printf("flipper: window closed (refs all 0)\n");
#if CHECK_F
			f_window_closed_on_a_handler = (inwin != 0);
			assert(!f_window_closed_on_a_handler);
#endif
			ktarget = 0
		}
#endif
		d_step { FLIPPING = 0; busy = 0; done++; k++; newg = 0 }
	:: else -> break
	od
}

inline pick(set, v) {
	if
	:: set & 1 -> v = 0
	:: set & 2 -> v = 1
	:: set & 4 -> v = 2
	:: set & 8 -> v = 3
	fi
}

inline legal(r, lo, ok) {
	ok = ((INSN(lo) == r) || (lo + 1 <= done + busy && INSN(lo + 1) == r) ||
	      (lo + 2 <= done + busy && INSN(lo + 2) == r))
}

/* A caller CPU: NEXEC executions, each of a site it picks. */
proctype cpu(byte me) {
	byte n = 0, lo, s, into, v0, v1, r, found;
	bit again, claimed, win, ok;
	do
	:: n < NEXEC ->
		if :: s = 0 :: s = 1 fi;
		again = 0;
execute:
		atomic {
			if :: !again -> lo = done :: else fi;
			into = s;
			pick(seen0[s * NCPU + me], v0); pick(seen1[s * NCPU + me], v1);
			if
			:: v0 == I3 ->
				printf("cpu%d: fetches site %d [int3 g%d]: traps\n", me, s, v1);
				inh[me] = 1
			:: v0 < I3 && v0 == v1 ->
				r = INSN(v0);
				printf("cpu%d: fetches site %d [g%d g%d]: runs ", me, s, v0, v1); say(r); printf("\n")
			:: else ->
				r = R_TORN;
				printf("cpu%d: fetches site %d [g%d g%d]: a TORN instruction runs\n", me, s, v0, v1);
#if CHECK_A
				a_torn_instruction_ran = 1;
				assert(!a_torn_instruction_ran)
#endif
			fi;
			v1 = 0
		}
		if
		:: inh[me] ->
			claimed = 0;
			/* The lookup: the site trapped on, or (busted=neighbour) the other of the pair. */
			found = (NEIGHBOUR -> 1 - s : s);
#if ENGINE == 1
			atomic {
				if
				:: refs[me] > 0 ->
					r = ktarget; into = s; claimed = 1;
					printf("cpu%d: the kernel's handler (bsearch finds site %d) emulates ", me, s); say(r); printf("\n");
#if CHECK_C
					c_trap_off_emulation = !(busy && r == TARGET_OF(EMULATION, done));
					assert(!c_trap_off_emulation);
#endif
				:: else
				fi
			}
#endif
			if
			:: !claimed ->
				v1 = m0[s];
				if
				:: v1 < I3 ->
					/* int3 gone: the complete instruction that stands now, or run it again */
					if
					:: m1[s] == v1 -> r = INSN(v1);
						printf("cpu%d: handler: int3 gone, emulates what stands at site %d: ", me, s); say(r); printf("\n")
					:: else -> r = 255;
						printf("cpu%d: handler: int3 gone, no instruction stands: rewinds\n", me)
					fi;
					claimed = 1
				:: else ->
					atomic { win = WINDOW; if :: win -> inwin++ :: else fi }
					if
					:: win ->
						atomic {
							r = WINDOW_TARGET; into = found;
							printf("cpu%d: handler: site %d in our window, emulates from site %d: ", me, s, found); say(r); printf("\n");
#if CHECK_C
							c_trap_off_emulation = !(busy && r == TARGET_OF(EMULATION, done));
							assert(!c_trap_off_emulation);
#endif
						}
						claimed = 1
					:: !win && FLIPPING ->
						printf("cpu%d: handler: one of our flips owns the int3: rewinds\n", me);
						r = 255; claimed = 1
					:: else
					fi
				fi
			:: else
			fi;
			assert(claimed);
			d_step {
				inh[me] = 0; v1 = 0; claimed = 0;
				if :: win -> inwin--; win = 0 :: else fi;
				if :: ipi[me] -> ipi[me] = 0; npend--; refresh(me) :: else fi
			}
			if
			:: r == 255 -> again = 1; r = 0; goto execute
			:: else
			fi
		:: else
		fi;
		d_step {
			legal(r, lo, ok);
			printf("cpu%d: execution %d of site %d acted as ", me, n + 1, s); say(r); printf(", returned into site %d", into);
			if
			:: ok -> printf(", what the site held\n")
			:: else -> printf(": ILLEGAL, the site held only g%d .. g%d while it ran\n", lo, done + busy)
			fi;
#if CHECK_C
			c_call_missed_or_illegal = !(r >= R_TORN || ok);
			assert(!c_call_missed_or_illegal);
#endif
#if CHECK_G
			g_returned_into_another_site = (into != s);
			assert(!g_returned_into_another_site);
#endif
			n++; r = 0; lo = 0; ok = 0; v0 = 0; again = 0; into = 0; found = 0
		}
progress_exec:
		skip
	:: else -> break
	od
}

init {
	atomic {
		refresh(0); refresh(1);
		run flipper();
		run cpu(0);
		run cpu(1)
	}
}
