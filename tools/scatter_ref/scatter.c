/* Reference kernel for the simulator's spike delivery: a plain C scatter loop.
 *
 * It builds a network of N neurons in the simulator's layout (CSR by source, u32
 * targets sorted within each group; groups = 2 postsynaptic populations x 1 delay, as
 * Brunel model A: N_E = 4N/5, N_I = N/5, 1000 E and 250 I inputs per neuron drawn
 * uniformly with replacement, i.e. out-degree ~ Poisson(1250)), then delivers
 * `spikes_per_step` random sources per step for `steps` steps into an f32 ring buffer of
 * 16 slots (`ring[slot][target] += w`), exactly the inner loop of the simulator's grid
 * delivery, and prints events per CPU-second of the delivery alone.
 *
 * Build and run (docs/simulator.md, "Scaling"):
 *   cc -O2 -o /tmp/scatter tools/scatter_ref/scatter.c && /tmp/scatter 12500 48 3000
 * (48 spikes per step = 12,500 neurons x 38.4 Hz x 0.1 ms, Brunel A's rate.)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t s = 0x9E3779B97F4A7C15ull;
static inline uint64_t next(void) { /* splitmix64 */
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static inline uint32_t below(uint32_t n) { return (uint32_t)(((__uint128_t)next() * n) >> 64); }

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv) {
    uint32_t n = argc > 1 ? (uint32_t)atol(argv[1]) : 12500;
    uint32_t per_step = argc > 2 ? (uint32_t)atol(argv[2]) : 48;
    uint32_t steps = argc > 3 ? (uint32_t)atol(argv[3]) : 3000;
    uint32_t ne = n / 5 * 4, k_e = 1000, k_i = 250;
    /* out-degree of each source: count the in-connections drawn per target */
    uint64_t *off = calloc((size_t)n * 2 + 1, sizeof(uint64_t)); /* group g = src*2 + post_pop */
    s = 1;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t a = i >= ne;
        for (uint32_t q = 0; q < k_e + k_i; q++) {
            uint32_t j = q < k_e ? below(ne) : ne + below(n - ne);
            off[(size_t)j * 2 + a + 1]++;
        }
    }
    for (size_t g = 0; g < (size_t)n * 2; g++) off[g + 1] += off[g];
    uint64_t total = off[(size_t)n * 2];
    uint32_t *targets = malloc(sizeof(uint32_t) * total);
    uint64_t *cur = malloc(sizeof(uint64_t) * n * 2);
    for (size_t g = 0; g < (size_t)n * 2; g++) cur[g] = off[g];
    s = 1;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t a = i >= ne;
        for (uint32_t q = 0; q < k_e + k_i; q++) {
            uint32_t j = q < k_e ? below(ne) : ne + below(n - ne);
            targets[cur[(size_t)j * 2 + a]++] = i;
        }
    }
    for (size_t g = 0; g < (size_t)n * 2; g++)
        qsort(targets + off[g], off[g + 1] - off[g], sizeof(uint32_t), cmp_u32);

    const uint32_t slots = 16;
    float *ring = calloc((size_t)slots * n, sizeof(float));
    float w[2][2] = {{0.1f, -0.5f}, {0.1f, -0.5f}}; /* [post a][pre b] */
    uint32_t *spk = malloc(sizeof(uint32_t) * per_step);
    uint64_t events = 0;
    double t0 = cpu_now();
    for (uint32_t step = 0; step < steps; step++) {
        for (uint32_t q = 0; q < per_step; q++) spk[q] = below(n);
        qsort(spk, per_step, sizeof(uint32_t), cmp_u32); /* neuron order, as the simulator */
        float *row = ring + (size_t)((step + 15) % slots) * n;
        for (uint32_t q = 0; q < per_step; q++) {
            uint32_t j = spk[q], b = j >= ne;
            for (uint32_t a = 0; a < 2; a++) {
                float wa = w[a][b];
                size_t g = (size_t)j * 2 + a;
                for (uint64_t p = off[g]; p < off[g + 1]; p++) row[targets[p]] += wa;
                events += off[g + 1] - off[g];
            }
        }
        /* the neuron update reads and clears the current slot */
        float *now = ring + (size_t)(step % slots) * n;
        for (uint32_t i = 0; i < n; i++) now[i] = 0.0f;
    }
    double cpu = cpu_now() - t0;
    double chk = 0;
    for (size_t i = 0; i < (size_t)slots * n; i++) chk += ring[i];
    printf("{\"n\": %u, \"synapses\": %llu, \"spikes_per_step\": %u, \"steps\": %u, "
           "\"events\": %llu, \"cpu_s\": %.3f, \"events_per_cpu_s\": %.4e, \"checksum\": %.3f}\n",
           n, (unsigned long long)total, per_step, steps, (unsigned long long)events, cpu,
           events / cpu, chk);
    return 0;
}
