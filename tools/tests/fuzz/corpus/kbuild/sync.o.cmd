savedcmd_lib/ctnr/sync.o := /state/bin/kser-cc ccache gcc -Wp,-MMD,lib/ctnr/.sync.o.d -nostdinc -I/state/src/arch/um/include -I./arch/um/include/generated -I/state/src/include -I./include -I/state/src/arch/um/include/uapi -I./arch/um/include/generated/uapi -I/state/src/include/uapi -I./include/generated/uapi -include /state/src/include/linux/compiler-version.h -include /state/src/include/linux/kconfig.h -include /state/src/include/linux/compiler_types.h -D__KERNEL__ -m64 -I/state/src/arch/x86/um -I/state/src/arch/x86/include -I/state/src/arch/x86/include/uapi -I./arch/x86/include/generated -I./arch/x86/include/generated/uapi -fmacro-prefix-map=/state/src/= -std=gnu11 -fshort-wchar -funsigned-char -fno-common -fno-PIE -fno-strict-aliasing -mcmodel=large -mno-sse -mno-mmx -mno-sse2 -mno-3dnow -mno-avx -fno-builtin -m64 -D__arch_um__ -I/state/src/arch/um/include/shared -I/state/src/arch/x86/um/shared -I/state/src/arch/um/include/shared/skas -Dlongjmp=kernel_longjmp -Dsetjmp=kernel_setjmp -Din6addr_loopback=kernel_in6addr_loopback -Din6addr_any=kernel_in6addr_any -Dstrrchr=kernel_strrchr -D_LARGEFILE64_SOURCE -Derrno=kernel_errno -Dsigprocmask=kernel_sigprocmask -Dmktime=kernel_mktime -fno-delete-null-pointer-checks -O2 -fno-allow-store-data-races -fno-stack-protector -fomit-frame-pointer -ftrivial-auto-var-init=zero -fno-stack-clash-protection -fno-strict-overflow -fno-stack-check -fconserve-stack -fno-builtin-wcslen -fno-builtin-wcslen -Wall -Wextra -Wundef -Werror=implicit-function-declaration -Werror=implicit-int -Werror=return-type -Werror=strict-prototypes -Wno-format-security -Wno-trigraphs -Wno-frame-address -Wno-address-of-packed-member -Wmissing-declarations -Wmissing-prototypes -Wframe-larger-than=2048 -Wno-main -Wno-dangling-pointer -Wvla -Wno-pointer-sign -Wcast-function-type -Wno-array-bounds -Wno-stringop-overflow -Wno-alloc-size-larger-than -Wimplicit-fallthrough=5 -Werror=date-time -Werror=incompatible-pointer-types -Werror=designated-init -Wenum-conversion -Wunused -Wno-unused-but-set-variable -Wno-unused-const-variable -Wno-packed-not-aligned -Wno-format-overflow -Wno-format-truncation -Wno-stringop-truncation -Wno-override-init -Wno-missing-field-initializers -Wno-type-limits -Wno-shift-negative-value -Wno-maybe-uninitialized -Wno-sign-compare -Wno-unused-parameter -I/state/src/lib/ctnr -I/state/src/lib/ctnr/upstream/include -DCTNR_NO_GLOBAL_OOM_HANDLING -DCTNR_UNSTABLE_ALLOCATOR_API -I/state/src/lib/ctnr -Ilib/ctnr    -DKBUILD_MODFILE='"lib/ctnr/ctnr"' -DKBUILD_BASENAME='"sync"' -DKBUILD_MODNAME='"ctnr"' -D__KBUILD_MODNAME=kmod_ctnr -c -o lib/ctnr/sync.o /state/src/lib/ctnr/sync.c  

source_lib/ctnr/sync.o := ../src/lib/ctnr/sync.c

deps_lib/ctnr/sync.o := \
  ../src/include/linux/compiler-version.h \
    $(wildcard include/config/CC_VERSION_TEXT) \
  ../src/include/linux/kconfig.h \
    $(wildcard include/config/CPU_BIG_ENDIAN) \
    $(wildcard include/config/BOOGER) \
    $(wildcard include/config/FOO) \
  ../src/include/linux/compiler_types.h \
    $(wildcard include/config/DEBUG_INFO_BTF) \
    $(wildcard include/config/PAHOLE_HAS_BTF_TAG) \
    $(wildcard include/config/FUNCTION_ALIGNMENT) \
    $(wildcard include/config/CC_HAS_SANE_FUNCTION_ALIGNMENT) \
    $(wildcard include/config/X86_64) \
    $(wildcard include/config/ARM64) \
    $(wildcard include/config/LD_DEAD_CODE_DATA_ELIMINATION) \
    $(wildcard include/config/LTO_CLANG) \
    $(wildcard include/config/HAVE_ARCH_COMPILER_H) \
    $(wildcard include/config/KCSAN) \
    $(wildcard include/config/CC_HAS_COUNTED_BY) \
    $(wildcard include/config/UBSAN_SIGNED_WRAP) \
    $(wildcard include/config/CC_HAS_ASM_INLINE) \
  ../src/include/linux/compiler-context-analysis.h \
  ../src/include/linux/compiler_attributes.h \
  ../src/include/linux/compiler-gcc.h \
    $(wildcard include/config/MITIGATION_RETPOLINE) \
    $(wildcard include/config/ARCH_USE_BUILTIN_BSWAP) \
    $(wildcard include/config/SHADOW_CALL_STACK) \
    $(wildcard include/config/KCOV) \
  ../src/include/linux/kalloc.h \
  ../src/include/linux/err.h \
  ../src/include/linux/compiler.h \
    $(wildcard include/config/TRACE_BRANCH_PROFILING) \
    $(wildcard include/config/PROFILE_ALL_BRANCHES) \
    $(wildcard include/config/OBJTOOL) \
    $(wildcard include/config/64BIT) \
  arch/x86/include/generated/asm/rwonce.h \
  ../src/include/asm-generic/rwonce.h \
  ../src/include/linux/kasan-checks.h \
    $(wildcard include/config/KASAN_GENERIC) \
    $(wildcard include/config/KASAN_SW_TAGS) \

lib/ctnr/sync.o: $(deps_lib/ctnr/sync.o)

$(deps_lib/ctnr/sync.o):
