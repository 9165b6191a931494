// SPDX-License-Identifier: MIT
/* Spins forever (for --timeout and --fuel). */
int main(void)
{
	volatile unsigned counter = 0;

	for (;;)
		counter++;
}
