/*
 * tests/compat/probe.c: prints the liburcu-tlb mechanisms usable here, one
 * per line ("membarrier", "mprotect", "signal"), and on stderr why the
 * others are not.  liburcu-tests.sh runs each test once per line.
 */
#include <stdio.h>
#include <urcu-tlb.h>

int main(void)
{
	enum urcu_tlb_mechanism m;

	for (m = URCU_TLB_MECHANISM_MEMBARRIER; m <= URCU_TLB_MECHANISM_SIGNAL; m++) {
		const char *why = NULL;

		if (urcu_tlb_mechanism_usable(m, &why))
			printf("%s\n", urcu_tlb_mechanism_string(m));
		else
			fprintf(stderr, "probe: %s is not usable here: %s\n",
				urcu_tlb_mechanism_string(m), why ? why : "?");
	}
	return 0;
}
