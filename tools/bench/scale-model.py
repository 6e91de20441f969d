#!/usr/bin/python3
# The model of docs/scale.md: the time to verify a series of P patches in
# C configurations with H distcc hosts of S slots and a shared ccache,
# from the figures tools/bench/scale.sh measured (figures.json).
#
#   tools/bench/scale-model.py [FIGURES.json] [QUIET_BASE_SECONDS]
#
# The figures may be measured on a loaded machine; QUIET_BASE_SECONDS (a
# cold base build on a quiet one; default 480.6 s) scales every time by
# the same factor, keeping the measured ratios.
import json
import math
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "build/bench/scale/figures.json"
quiet_base = float(sys.argv[2]) if len(sys.argv) > 2 else 480.6
f = json.load(open(path))

L = f["jobs"]                      # the submitting machine's cores
N = f["base_objects"]              # objects of a base build
q = quiet_base / f["base_cold_s"]  # loaded -> quiet
c = f["base_cold_s"] * L / N * q   # CPU-seconds per object, cold, local
p = c * f["sample"]["cpp_s"] / f["sample"]["cc_s"]   # its preprocessing
local_miss = 2 * p                 # ccache's cpp and distcc's, both here
h = f["base_remote_s"] / N * q     # wall seconds per object from the cache
F = max(0.0, f["patch_fixed_s"]) * q   # a patch's fixed cost
F_hit = f["patch_fixed_remote_s"] * q  # a patch's build, all served
k = sum(x["objects"] for x in f["patches"]) / len(f["patches"])
U = f["kunit_mean_s"] * q          # KUnit: boot and suites
P, C, S = 20, 3, 8


def compile_wall(n, hosts, cores):
    """n objects compiled cold here (cores) and on hosts of S slots."""
    if hosts == 0:
        return math.ceil(n / cores) * c
    slots = cores + hosts * S
    return max(n * local_miss / cores, math.ceil(n / slots) * c)


def row(hosts, cores):
    base_cold = compile_wall(N, hosts, cores) + F
    base_hit = N * h * L / cores   # hits are this machine's work
    patch = F + compile_wall(k, hosts, cores) + U
    return (base_cold, base_hit, patch,
            C * (base_cold + P * patch),
            C * (base_hit + P * patch),
            C * (base_hit + P * (F_hit + U)))


print(f"inputs (quiet machine, measured at L = {L}): N = {N} objects, c = {c:.2f} s, "
      f"p = {p:.2f} s ({p / c:.0%}), h = {h * 1000:.0f} ms per object, "
      f"F = {F:.1f} s, k = {k:.1f}, U = {U:.1f} s, F from the cache = "
      f"{F_hit:.1f} s; hosts of S = {S} slots; P = {P}, C = {C}")
for cores in (L, 16):
    print()
    print(f"submitting machine with {cores} cores:")
    print()
    print("| build hosts | base, cold | base, in the cache | a patch | "
          f"{P} patches x {C} configurations, base cold | the same, base in the "
          "cache | the same series again, elsewhere (all in the cache) |")
    print("|---|---|---|---|---|---|---|")
    for hosts in (0, 1, 4, 16):
        r = row(hosts, cores)
        name = "none (this machine)" if hosts == 0 else f"{hosts} x {S} slots"
        print(f"| {name} | {r[0]:.0f} s | {r[1]:.0f} s | {r[2]:.1f} s | "
              f"{r[3] / 60:.1f} min | {r[4] / 60:.1f} min | {r[5] / 60:.1f} min |")
print()
floor = C * P * (F + U)
print(f"floor C x P x (F + U) = {floor:.0f} s ({floor / 60:.1f} min); "
      f"a client of L cores saturates at L x c / (2p) = "
      f"{c / local_miss:.1f} L slots")
