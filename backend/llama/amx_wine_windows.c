// Whether a Windows engine may run AMX's tile instructions (amx_kernels.cpp
// asks before it registers ggml's AMX buffer type).
//
// Windows gives every thread AMX's tile state on first use, so on Windows
// the answer is yes. Under Wine the program is a Linux process, and Linux
// gives a process the tile data only after it asks (arch_prctl
// ARCH_REQ_XCOMP_PERM); without that the first tile load faults as an
// illegal instruction. ggml asks only when built for Linux, and Wine (8.0,
// the version tried) does not ask for the programs it runs. Wine runs a
// Windows program's machine code directly, so the engine makes that one
// Linux system call itself when Wine says its host is Linux; if the kernel
// refuses, ggml keeps to its AVX-512 kernels. backend/variant checks the
// same before it picks the AMX engine (and says so in its reason).
#include <string.h>
#include <windows.h>

#define LINUX_SYS_arch_prctl 158
#define LINUX_ARCH_REQ_XCOMP_PERM 0x1023
#define LINUX_XFEATURE_XTILEDATA 18

typedef const char *(*wine_get_version_fn)(void);
typedef void (*wine_get_host_version_fn)(const char **sysname, const char **release);

static long linux_syscall2(long nr, long a, long b) {
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return ret;
}

int chapel_amx_os_ready(void) {
    HMODULE ntdll = GetModuleHandleA("ntdll.dll");
    if (ntdll == NULL || GetProcAddress(ntdll, "wine_get_version") == NULL) {
        return 1;  // Windows
    }
    wine_get_host_version_fn host = (wine_get_host_version_fn) (void *) GetProcAddress(ntdll, "wine_get_host_version");
    const char *sysname = NULL, *release = NULL;
    if (host != NULL) {
        host(&sysname, &release);
    }
    if (sysname == NULL || strcmp(sysname, "Linux") != 0) {
        return 0;  // Wine on another host: no known way to get the tile state
    }
    return linux_syscall2(LINUX_SYS_arch_prctl, LINUX_ARCH_REQ_XCOMP_PERM, LINUX_XFEATURE_XTILEDATA) == 0;
}
