/*
 * int3.pml: a model of int3call's live rewrite of its 5-byte call site, for spin.
 *
 * Why it exists: the guest tests run under QEMU's TCG, which never tears an instruction fetch
 * and re-translates code on every write to it. So the bugs the int3 protocol prevents (a CPU
 * running half-old, half-new bytes; a stale tail behind a new byte 0; a handler still in the
 * window when it closes) pass every guest test. This model executes the site under the fetch
 * rules of real hardware (Intel SDM vol. 3, "Handling Self- and Cross-Modifying Code") instead.
 *
 * What is checked is what the code does: the module engine runs the step table that
 * rust/protocol.rs emits (steps.pml, written by its host test emit_model_steps, never edited
 * by hand); the handler is on_int3 of rust/site.rs, rule by rule; the kernel engine is
 * smp_text_poke_batch_finish() and smp_text_poke_int3_handler() of Linux 7.2's
 * arch/x86/kernel/alternative.c. scripts/model.sh (make model) runs every property and every
 * mutant; see the README's "The protocol model".
 *
 * Abstraction. The site is byte 0 and two tail bytes (bytes 1..4 cut in two, so that a tail
 * can be seen half-written). A byte holds the byte of generation g of the instruction (g = 0
 * before the first flip, g = k after flip k), or, byte 0 only, an int3: ours (I3) or a foreign
 * owner's (K3, same 0xcc, told apart only for checking). Instructions of different generations
 * differ in every byte: the worst case (NOP5 <-> call). Between two calls byte 0 is e8 both
 * times, so some tears the model reports would there run a complete instruction.
 *
 * Fetch rule. Each caller CPU runs the site from its own view. Without a serialising sync, its
 * view of a byte may be any value written there since its last sync (a set per byte, `seen`),
 * byte by byte; picking the newest is "refreshing". A sync (IPI + serialising instruction)
 * makes every byte of a CPU's view current. A CPU inside an int3 handler (interrupts off)
 * takes the IPI only when it leaves the handler, so a sync waits for every handler in progress.
 * Executing decodes the view: one generation in all three bytes runs that instruction, an int3
 * in byte 0 traps, anything else is TORN. Handlers read memory (data reads are coherent).
 *
 * Build switches (-D): ENGINE (0 module, 1 kernel), EMULATION (0 new, 1 old, 2 nop), STEPS (the
 * emitted inline the module engine runs), CHECK_A/B/C/F (which assertions are on), the
 * mutants SWAP_EMULATION, BUSTED_SPIN, REWIND_GONE_NOP, CLAIM_FOREIGN; sizes NCPU (2), NEXEC,
 * NFLIPS (<= 2).
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
#ifndef CHECK_B
#define CHECK_B 0
#endif
#ifndef CHECK_C
#define CHECK_C 0
#endif
#ifndef CHECK_F
#define CHECK_F 0
#endif
#ifndef SWAP_EMULATION
#define SWAP_EMULATION 0
#endif
#ifndef BUSTED_SPIN
#define BUSTED_SPIN 0
#endif
#ifndef REWIND_GONE_NOP
#define REWIND_GONE_NOP 0
#endif
#ifndef CLAIM_FOREIGN
#define CLAIM_FOREIGN 0
#endif

/* Byte values: generations 0..2, then the two int3s. */
#define I3 3
#define K3 4
#define BIT(v) (1 << (v))

/* What an execution of the site does: the instruction it acts as. */
#define R_NOP 0   /* skips the site (a NOP, or an int3 emulated as one) */
#define R_C 1     /* call custom_tramp */
#define R_I 2     /* call iterator_tramp */
#define R_TORN 3  /* ran bytes that are no instruction of ours */
#define R_DIE 4   /* die("int3"): nobody claimed the trap */

/* The instruction of each generation: call custom, call iterator, NOP (the unload flip). */
#define INSN(g) ((g) == 0 -> R_C : ((g) == 1 -> R_I : R_NOP))

/* The target the emulation picks for flip k+1 (generation k -> k+1); `busted=swap_emulation` picks
 * the other emulation's (site.rs, flip()). */
#if SWAP_EMULATION
#define ACTS_AS (EMULATION == 0 -> 1 : (EMULATION == 1 -> 0 : 2))
#else
#define ACTS_AS EMULATION
#endif
#define TARGET_OF(p, k) ((p) == 0 -> INSN((k) + 1) : ((p) == 1 -> INSN(k) : R_NOP))

/* Memory: the site's three bytes. */
byte m0 = 0, m1 = 0, m2 = 0;
/* Each CPU's view: per byte, the set of values it may still fetch. */
byte seen0[NCPU], seen1[NCPU], seen2[NCPU];
bit inh[NCPU];   /* in the int3 handler (interrupts off) */
bit ipi[NCPU];   /* a sync's IPI waits for this CPU */
byte npend;      /* CPUs a sync still waits for */

/* rust/site.rs's statics (0 = none). */
bit WINDOW_SITE, FLIPPING;
byte WINDOW_TARGET;
/* The kernel engine: per-CPU text_poke_array_refs and the entry's `emulate` target. */
byte refs[NCPU];
byte ktarget;

bit mtx;         /* text_mutex */
byte newg;       /* the generation the flip in progress writes */
/* Ghosts, for checking only. */
byte done;       /* flips completed */
bit busy;        /* a flip is under way (its generation may stand) */
byte inwin;      /* handlers inside a window (read WINDOW_SITE == site, or hold a ref) */
bit farmed;      /* the foreign owner's int3 is registered (its handler claims) */
byte fgen;       /* the instruction the foreign owner saved, as a generation */
bit flips_over, foreign_over;
/* Set only to fail the assertion that names them: the property each one breaks. */
bit a_torn_instruction_ran, b_die_int3_unclaimed_trap, b_foreign_int3_claimed,
    c_call_missed_or_illegal, c_trap_off_emulation, f_window_closed_on_a_handler;

/* For the trails: a byte, an instruction. */
inline say_byte(v) {
	if
	:: v < I3 -> printf("g%d", v)
	:: v == I3 -> printf("int3")
	:: else -> printf("int3(foreign)")
	fi
}
inline say_insn(r) {
	if
	:: r == R_NOP -> printf("nop")
	:: r == R_C -> printf("call custom")
	:: r == R_I -> printf("call iterator")
	:: r == R_TORN -> printf("TORN")
	:: else -> printf("die")
	fi
}

inline refresh(c) {
	seen0[c] = BIT(m0); seen1[c] = BIT(m1); seen2[c] = BIT(m2)
}

/* A text_poke() of one byte: memory changes, every view may now fetch the new value too. */
inline wr0(v) {
	d_step { m0 = v; seen0[0] = seen0[0] | BIT(v); seen0[1] = seen0[1] | BIT(v)
#if NCPU > 2
	         ; seen0[2] = seen0[2] | BIT(v)
#endif
	}
}
inline wr1(v) {
	d_step { m1 = v; seen1[0] = seen1[0] | BIT(v); seen1[1] = seen1[1] | BIT(v)
#if NCPU > 2
	         ; seen1[2] = seen1[2] | BIT(v)
#endif
	}
}
inline wr2(v) {
	d_step { m2 = v; seen2[0] = seen2[0] | BIT(v); seen2[1] = seen2[1] | BIT(v)
#if NCPU > 2
	         ; seen2[2] = seen2[2] | BIT(v)
#endif
	}
}

/* on_each_cpu(serialise, wait): a CPU outside a handler serialises now (taking the IPI later
 * is the same as fetching earlier: nothing writes the site while the sync waits); one inside a
 * handler takes it when it leaves. Then wait for all. */
inline sync_cpu(c) {
	if
	:: inh[c] -> ipi[c] = 1; npend++
	:: else -> refresh(c)
	fi
}
inline sync(n) {
	d_step {
		if
		:: n > 0 -> printf("flipper: sync %d (IPI to every CPU; waits for handlers)\n", n)
		:: else -> printf("foreign: sync\n")
		fi;
		sync_cpu(0); sync_cpu(1)
#if NCPU > 2
		; sync_cpu(2)
#endif
	}
	npend == 0
}

/* The steps the emitted tables name (rust/protocol.rs, Step). */
inline plant_int3() {
	printf("flipper: plant int3 on byte 0\n");
	wr0(I3)
}
inline write_tail() {
	printf("flipper: write the tail (bytes 1..4) of generation %d\n", newg);
	wr1(newg); wr2(newg)
}
inline write_byte0() {
	printf("flipper: write byte 0 of generation %d\n", newg);
	wr0(newg)
}
inline write_all() {
	printf("flipper: write all 5 bytes of generation %d at once\n", newg);
	wr0(newg); wr1(newg); wr2(newg)
}

#include "steps.pml"

/* The kernel engine's steps: smp_text_poke_batch_finish() for one 5-byte entry. */
inline steps_kernel() {
	plant_int3(); sync(1); write_tail(); sync(2); write_byte0(); sync(3)
}

/* The flipper: NFLIPS flips, generation k -> k+1, each under text_mutex. */
proctype flipper() {
	byte k = 0;
	do
	:: k < NFLIPS ->
		atomic { !mtx -> mtx = 1 }
		if
		:: m0 == K3 ->
			/* verify(): the site does not hold what we expect; nothing written */
			printf("flipper: flip %d refused, a foreign int3 stands\n", k + 1);
			mtx = 0; break
		:: else
		fi;
		d_step {
			printf("flipper: flip %d, g%d -> g%d: ", k + 1, k, k + 1); say_insn(INSN(k)); printf(" -> "); say_insn(INSN(k + 1));
#if ENGINE == 0
			printf(", module engine");
#else
			printf(", kernel engine");
#endif
			if
			:: ACTS_AS == 0 -> printf(", a trap emulates the new instruction\n")
			:: ACTS_AS == 1 -> printf(", a trap emulates the old instruction\n")
			:: else -> printf(", a trap emulates a nop\n")
			fi;
			FLIPPING = 1; busy = 1; newg = k + 1
		}
#if ENGINE == 0
		WINDOW_TARGET = TARGET_OF(ACTS_AS, k);
		WINDOW_SITE = 1;
		STEPS();
		d_step {
			printf("flipper: window closed\n");
#if CHECK_F
			f_window_closed_on_a_handler = (inwin != 0);
			assert(!f_window_closed_on_a_handler);  /* (f) */
#endif
			WINDOW_SITE = 0
		}
#else
		d_step { ktarget = TARGET_OF(ACTS_AS, k); refs[0] = 1; refs[1] = 1
#if NCPU > 2
			; refs[2] = 1
#endif
		}
		steps_kernel();
		/* Remove and wait for refs to be zero. */
		refs[0]--; refs[0] == 0;
		refs[1]--; refs[1] == 0;
#if NCPU > 2
		refs[2]--; refs[2] == 0;
#endif
		d_step {
			printf("flipper: window closed (refs all 0)\n");
#if CHECK_F
			f_window_closed_on_a_handler = (inwin != 0);
			assert(!f_window_closed_on_a_handler);  /* (f) */
#endif
			ktarget = 0
		}
#endif
		d_step { FLIPPING = 0; busy = 0; done++; k++; newg = 0 }
		mtx = 0
	:: else -> break
	od;
	flips_over = 1
}

/* A foreign int3 owner (a kprobe, kgdb): plants an int3 on the site between our flips
 * (text_mutex), and either removes it later or keeps it for good. Its handler runs after our
 * die notifier (a kprobe's runs before it; running after is the harder case for us). */
proctype foreign() {
	atomic { !mtx && m0 < I3 -> mtx = 1 }
	d_step { printf("foreign: plants its int3 over generation %d\n", m0); fgen = m0; farmed = 1 }
	wr0(K3); sync(0);
	mtx = 0;
	if
	:: atomic { !mtx -> mtx = 1 }
		printf("foreign: removes its int3\n");
		wr0(fgen); sync(0);
		d_step { farmed = 0; fgen = 0 };
		mtx = 0
	:: skip -> printf("foreign: keeps its int3 for good\n")
	fi;
	foreign_over = 1
}

/* Fetch a choice from a view's set (nondeterministic, byte by byte). */
inline pick(set, v) {
	if
	:: set & 1 -> v = 0
	:: set & 2 -> v = 1
	:: set & 4 -> v = 2
	:: set & 8 -> v = 3
	:: set & 16 -> v = 4
	fi
}

/* Is `r` an instruction the site held (or was becoming) since generation `lo`? */
inline legal(r, lo, ok) {
	ok = ((INSN(lo) == r) || (lo + 1 <= done + busy && INSN(lo + 1) == r) ||
	      (lo + 2 <= done + busy && INSN(lo + 2) == r))
}

/* A caller CPU: NEXEC executions of the site. */
proctype cpu(byte me) {
	byte n = 0, lo, v0, v1, v2, r;
	bit again, claimed, kref, win, ok;
	do
	:: n < NEXEC ->
		again = 0;
execute:
		atomic {
			if :: !again -> lo = done :: else fi;
			pick(seen0[me], v0); pick(seen1[me], v1); pick(seen2[me], v2);
			if
			:: v0 >= I3 ->
				printf("cpu%d: fetches [", me); say_byte(v0); printf(" g%d g%d]: traps\n", v1, v2);
				inh[me] = 1
			:: v0 < I3 && v0 == v1 && v1 == v2 ->
				r = INSN(v0);
				printf("cpu%d: fetches [g%d g%d g%d]: runs ", me, v0, v1, v2); say_insn(r); printf("\n")
			:: else ->
				r = R_TORN;
				printf("cpu%d: fetches [", me); say_byte(v0); printf(" g%d g%d]: a TORN instruction runs\n", v1, v2);
#if CHECK_A
				a_torn_instruction_ran = 1;
				assert(!a_torn_instruction_ran)  /* (a) */
#endif
			fi;
			v1 = 0; v2 = 0
		}
		if
		:: inh[me] ->
			/* The int3 handler chain of exc_int3(). v0 keeps the int3 fetched (ghost). */
			claimed = 0;
#if ENGINE == 1
			/* smp_text_poke_int3_handler(): try_get_text_poke_array() */
			atomic { if :: refs[me] > 0 -> refs[me]++; kref = 1; inwin++ :: else fi }
			if
			:: kref ->
				atomic {
					r = ktarget; claimed = 1;
					printf("cpu%d: the kernel's handler (refs) emulates ", me); say_insn(r); printf("\n");
#if CHECK_C
					c_trap_off_emulation = !(busy && r == TARGET_OF(EMULATION, done));
					assert(!c_trap_off_emulation);  /* (c) */
#endif
				}
				atomic { refs[me]--; kref = 0; inwin-- }
			:: else
			fi;
#endif
			if
			:: !claimed ->
				/* our die notifier: on_int3() */
				v1 = m0;
				if
				:: v1 < I3 ->
					/* int3 gone: the complete instruction that stands now */
					v2 = (m1 == v1 && m2 == v1 -> 1 : 0);
					if
					:: v2 && INSN(v1) == R_NOP ->
#if REWIND_GONE_NOP
						printf("cpu%d: handler: int3 gone, a NOP stands: rewinds (mutant)\n", me);
						r = 255
#else
						printf("cpu%d: handler: int3 gone, a NOP stands: jumps past the site\n", me);
						r = R_NOP
#endif
					:: v2 && INSN(v1) != R_NOP ->
						r = INSN(v1);
						printf("cpu%d: handler: int3 gone, emulates what stands: ", me); say_insn(r); printf("\n")
					:: else ->
						printf("cpu%d: handler: int3 gone, no instruction stands: rewinds\n", me);
						r = 255
					fi;
					claimed = 1
				:: else ->
					atomic {
						win = WINDOW_SITE;
						if :: win -> inwin++ :: else fi
					}
					if
					:: win ->
#if BUSTED_SPIN
						printf("cpu%d: handler: our window, rewinds (busted=spin)\n", me);
						r = 255;
#else
						atomic {
							r = WINDOW_TARGET;
							printf("cpu%d: handler: our window, emulates the emulation's target: ", me); say_insn(r); printf("\n");
#if CHECK_C
							c_trap_off_emulation = !(busy && r == TARGET_OF(EMULATION, done));
							assert(!c_trap_off_emulation);  /* (c) */
#endif
						}
#endif
						claimed = 1
					:: !win && FLIPPING ->
						printf("cpu%d: handler: one of our flips owns the int3: rewinds\n", me);
						r = 255; claimed = 1
					:: !win && !FLIPPING ->
#if CLAIM_FOREIGN
						printf("cpu%d: handler: a foreign int3: claims and rewinds (mutant)\n", me);
						r = 255; claimed = 1
#else
						printf("cpu%d: handler: a foreign int3: not ours, declined\n", me)
#endif
					fi;
#if CHECK_B
					b_foreign_int3_claimed = (claimed && v1 == K3);
					assert(!b_foreign_int3_claimed)  /* (b) */
#endif
				fi
			:: else
			fi;
			if
			:: !claimed ->
				atomic {
					if
					:: farmed ->
						r = INSN(fgen); claimed = 1;
						printf("cpu%d: the foreign owner handles its int3, runs g%d\n", me, fgen)
					:: else ->
						r = R_DIE;
						printf("cpu%d: nobody claims the trap: die(\"int3\")\n", me);
#if CHECK_B
						b_die_int3_unclaimed_trap = 1;
						assert(!b_die_int3_unclaimed_trap)  /* (b) */
#endif
					fi
				}
			:: else
			fi;
			/* iret: interrupts on, a pending sync IPI lands now */
			d_step {
				inh[me] = 0; v1 = 0; v2 = 0; claimed = 0;
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
			printf("cpu%d: execution %d acted as ", me, n + 1); say_insn(r);
			if
			:: ok -> printf(", what the site held\n")
			:: else ->
				printf(": ILLEGAL (a missed call if nop), the site held only g%d ", lo); say_insn(INSN(lo));
				printf(" .. g%d ", done + busy); say_insn(INSN(done + busy)); printf(" while it ran\n")
			fi;
#if CHECK_C
			c_call_missed_or_illegal = !(r >= R_TORN || ok);
			assert(!c_call_missed_or_illegal)  /* (c) */
#endif
			n++; r = 0; lo = 0; ok = 0; v0 = 0; again = 0
		}
progress_exec:
		skip
	:: else -> break
	od
}

init {
	atomic {
		refresh(0); refresh(1);
#if NCPU > 2
		refresh(2);
#endif
		run flipper();
		run foreign();
		run cpu(0);
		run cpu(1);
#if NCPU > 2
		run cpu(2)
#endif
	}
}
