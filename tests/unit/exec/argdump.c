// SPDX-License-Identifier: MIT
/* Test helper: prints comm, AT_EXECFN and argv, each NUL-terminated, to stdout. */
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char comm[17] = {0};
	const char *execfn = (const char *)getauxval(AT_EXECFN);

	prctl(PR_GET_NAME, comm);
	fwrite(comm, 1, strlen(comm) + 1, stdout);
	execfn = execfn ? execfn : "(none)";
	fwrite(execfn, 1, strlen(execfn) + 1, stdout);
	for (int i = 0; i < argc; i++)
		fwrite(argv[i], 1, strlen(argv[i]) + 1, stdout);
	return 0;
}
