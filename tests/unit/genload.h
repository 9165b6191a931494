/* SPDX-License-Identifier: MIT */
/*
 * Generated modules for load-time tests and the load-speed benchmark:
 * the shapes that once made compilation quadratic, ordinary code in bulk,
 * and modules just past an engine limit. Each returns the module's bytes
 * (free with free()) and their length in *len; NULL when out of memory.
 */
#ifndef WBPF_TEST_GENLOAD_H
#define WBPF_TEST_GENLOAD_H

#include <stddef.h>
#include <stdint.h>

/* n i32 constants left on the stack, then n empty blocks, then n drops. */
uint8_t *genload_blocks(uint32_t n, size_t *len);
/* nfuncs functions of `depth` nested loops around one br_table of
 * `entries` labels cycling over every loop. */
uint8_t *genload_br_table(uint32_t entries, uint32_t depth, uint32_t nfuncs, size_t *len);
/* n constants on the stack, then n `i32.const; local.set 0`. */
uint8_t *genload_local_sets(uint32_t n, size_t *len);
/* n locals each pushed with local.get, n constants above them, then each
 * local set in turn (every set has one alias deep in the stack). */
uint8_t *genload_aliases(uint32_t n, size_t *len);
/* A block of 1000 i32 results (given as constants), left by n br_if:
 * each branch carries 1000 values. */
uint8_t *genload_wide_branches(uint32_t n, size_t *len);
/* n ordinary functions (a loop of arithmetic, loads and stores, calls):
 * bulk code of about 80 bytes a function. */
uint8_t *genload_bulk(uint32_t n, size_t *len);
/* nfuncs functions declaring `nlocals` i32 locals each (in 6 bytes). */
uint8_t *genload_locals(uint32_t nlocals, uint32_t nfuncs, size_t *len);
/* One function of `depth` nested blocks. */
uint8_t *genload_nesting(uint32_t depth, size_t *len);
/* One function and nsegs passive elem segments of nitems `ref.func 0`
 * each (3 bytes an item): a module that is all decoding. */
uint8_t *genload_elem_items(uint32_t nsegs, uint32_t nitems, size_t *len);
/* One function type with `nparams` i32 params and one function of it. */
uint8_t *genload_params(uint32_t nparams, size_t *len);
/* One function whose body is at least `bytes` long (nops). */
uint8_t *genload_body_size(uint32_t bytes, size_t *len);
/* n function types, all different (i32 params: 0, 1, 2, ...). */
uint8_t *genload_types(uint32_t n, size_t *len);
/* No code: an imported function, globals, and a name section (the work
 * after decoding). */
uint8_t *genload_late_work(uint32_t nglobals, uint32_t nnames, size_t *len);

#endif
