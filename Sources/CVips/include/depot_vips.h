#ifndef DEPOT_VIPS_H
#define DEPOT_VIPS_H
#include <stddef.h>

/// Fixed-arity wrappers over libvips's variadic API. Only plain C types cross this boundary.

/// Starts libvips once per process (VIPS_INIT is a macro Swift cannot call). 0 on success.
int depot_vips_init(const char *argv0);
/// "8.14.1" — the version of the linked libvips.
const char *depot_vips_version(void);
/// Bounds libvips's own operation cache and its worker threads per pipeline.
void depot_vips_configure(int cache_max_ops, size_t cache_max_mem, int concurrency);
/// Reads only the header of an image file. 0 on success, -1 on error (see depot_vips_last_error).
int depot_vips_header_file(const char *path, int *width, int *height, int *bands, int *has_alpha);
/// Reads only the header of an image held in memory (the start of a file is enough for the common formats);
/// `loader` receives libvips's loader name ("jpegload_buffer"). 0 on success, -1 when not an image libvips reads.
int depot_vips_header_buffer(const void *data, size_t length, int *width, int *height, int *bands, int *has_alpha,
                             char *loader, size_t loader_len);
/// Copies the calling thread's libvips error text into buf and clears it.
void depot_vips_last_error(char *buf, size_t len);

#endif
