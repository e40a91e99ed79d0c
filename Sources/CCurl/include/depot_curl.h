#ifndef DEPOT_CURL_H
#define DEPOT_CURL_H
#include <curl/curl.h>
#include <stddef.h>

/// Fixed-arity wrappers over libcurl's variadic curl_easy_setopt / curl_easy_getinfo.
CURLcode depot_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode depot_curl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode depot_curl_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode depot_curl_setopt_offset(CURL *handle, CURLoption option, curl_off_t value);
CURLcode depot_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode depot_curl_getinfo_string(CURL *handle, CURLINFO info, const char **value);

/// Body and header callbacks: `context` comes back as the last argument of every call.
typedef size_t (*depot_curl_data_callback)(char *data, size_t size, size_t count, void *context);
CURLcode depot_curl_set_write(CURL *handle, depot_curl_data_callback callback, void *context);
CURLcode depot_curl_set_read(CURL *handle, depot_curl_data_callback callback, void *context);
CURLcode depot_curl_set_header(CURL *handle, depot_curl_data_callback callback, void *context);

/// Called before every connection (redirects included) with the resolved peer address;
/// return 0 to refuse it. `family` is AF_INET or AF_INET6, `address` the raw 4 or 16 bytes.
typedef int (*depot_curl_address_filter)(int family, const unsigned char *address, void *context);
CURLcode depot_curl_set_address_filter(CURL *handle, depot_curl_address_filter filter, void *context);

/// "7.88.1" — the version of the linked libcurl.
const char *depot_curl_version(void);

#endif
