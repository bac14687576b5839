/* SPDX-License-Identifier: MIT */
/*
 * Replays fuzz inputs without libFuzzer: each argument is a file or a folder
 * of files, fed to LLVMFuzzerTestOneInput once.  Built with the sanitizers,
 * this is how `make test` keeps every corpus file and every past crash from
 * regressing.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data;
	long size;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		perror(path);
		if (f != NULL)
			(void)fclose(f);
		return 1;
	}
	data = malloc((size_t)size + 1);
	if (data == NULL || fread(data, 1, (size_t)size, f) != (size_t)size) {
		(void)fprintf(stderr, "%s: read error\n", path);
		free(data);
		(void)fclose(f);
		return 1;
	}
	(void)fclose(f);
	(void)LLVMFuzzerTestOneInput(data, (size_t)size);
	free(data);
	return 0;
}

int
main(int argc, char **argv)
{
	int n = 0, rc = 0;

	for (int i = 1; i < argc; i++) {
		struct stat sb;
		if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *e;
			char path[4096];
			while (d != NULL && (e = readdir(d)) != NULL) {
				if (e->d_name[0] == '.')
					continue;
				(void)snprintf(path, sizeof(path), "%s/%s",
				               argv[i], e->d_name);
				rc |= run_file(path);
				n++;
			}
			if (d != NULL)
				(void)closedir(d);
		} else {
			rc |= run_file(argv[i]);
			n++;
		}
	}
	(void)printf("%d inputs replayed\n", n);
	return rc != 0 || n == 0;
}
