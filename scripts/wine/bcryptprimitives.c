/* A stand-in for Windows' bcryptprimitives.dll, for the Wine check only
 * (scripts/test-packages.sh): Go programs since Go 1.22 draw their random
 * numbers from its ProcessPrng, which every Windows 10 and 11 has but
 * Debian 12's Wine 8.0 lacks. This one answers from RtlGenRandom
 * (advapi32's SystemFunction036), which Wine has. It is never shipped. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x7fffffff ? 0x7fffffff : (ULONG)len;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
