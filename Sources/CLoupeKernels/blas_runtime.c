/* OpenBLAS picks its kernels by CPU model when it loads. A release that
 * predates the CPU (Debian's 0.3.21 on an Intel family 6 model 207, say)
 * falls back to Prescott's SSE3 kernels, 4-7x slower, without a word. A
 * dynamic-arch OpenBLAS can choose again at run time: this constructor runs
 * after the library's own and before main in every program that links Loupe
 * (the kernel, `loupe run`, `loupe bench`, the tests), and when the core in
 * use lacks what the CPU has, asks for the best core the CPU supports.
 * A user's own OPENBLAS_CORETYPE is left alone. */
#define _GNU_SOURCE
#include <ctype.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "CLoupeKernels.h"

/* Weak: a build of OpenBLAS without dynamic-arch support has none of these,
 * and then nothing is changed. */
extern char *openblas_get_corename(void) __attribute__((weak));
extern void gotoblas_dynamic_init(void) __attribute__((weak));
extern void gotoblas_dynamic_quit(void) __attribute__((weak));

static char picked_by_library[32] = "";

/* Cores without AVX: what OpenBLAS falls back to on CPUs it does not know. */
static int lacks_avx(const char *core) {
    static const char *const old[] = {
        "prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "nano", "opteron", "opteron_sse3",
        "barcelona", "bobcat", "athlon", "katmai", "coppermine", "northwood", "banias", "unknown", NULL,
    };
    for (int i = 0; old[i]; i++) if (strcasecmp(core, old[i]) == 0) return 1;
    return 0;
}

/* The best core this OpenBLAS knows for the instructions the CPU has. */
static const char *best_core(void) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        return __builtin_cpu_supports("avx512bf16") ? "Cooperlake" : "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
    if (__builtin_cpu_supports("avx")) return "Sandybridge";
#endif
    return NULL;
}

__attribute__((constructor)) static void loupe_choose_blas_core(void) {
    if (!openblas_get_corename || !gotoblas_dynamic_init || !gotoblas_dynamic_quit) return;
    if (getenv("OPENBLAS_CORETYPE")) return;
    const char *current = openblas_get_corename();
    const char *best = best_core();
    if (!current || !best || !lacks_avx(current)) return;
    snprintf(picked_by_library, sizeof picked_by_library, "%s", current);
    setenv("OPENBLAS_CORETYPE", best, 1);
    gotoblas_dynamic_quit();
    gotoblas_dynamic_init();
    /* Child processes (a Python peer in `loupe bench`) get the library's own choice. */
    unsetenv("OPENBLAS_CORETYPE");
}

const char *loupe_blas_core(void) {
    return openblas_get_corename ? openblas_get_corename() : "unknown";
}

const char *loupe_blas_replaced_core(void) { return picked_by_library; }

/* Cores this process may really use: its affinity mask, further limited by
 * a cgroup CPU quota (v2 cpu.max, else v1 cfs_quota_us / cfs_period_us). */
int loupe_usable_cores(void) {
    int cores = 1;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) cores = CPU_COUNT(&set);
    if (cores < 1) cores = 1;
    double quota = -1, period = -1;
    FILE *f = fopen("/sys/fs/cgroup/cpu.max", "r");
    if (f) {
        char max[32] = "";
        if (fscanf(f, "%31s %lf", max, &period) == 2 && strcmp(max, "max") != 0) quota = atof(max);
        fclose(f);
    } else if ((f = fopen("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "r"))) {
        if (fscanf(f, "%lf", &quota) != 1) quota = -1;
        fclose(f);
        if ((f = fopen("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "r"))) {
            if (fscanf(f, "%lf", &period) != 1) period = -1;
            fclose(f);
        }
    }
    if (quota > 0 && period > 0) {
        int limit = (int)ceil(quota / period);
        if (limit >= 1 && limit < cores) cores = limit;
    }
    return cores;
}
