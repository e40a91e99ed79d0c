#ifndef DEPOT_CURL_H
#define DEPOT_CURL_H
#include <curl/curl.h>

/// Fixed-arity wrappers over libcurl's variadic curl_easy_setopt / curl_easy_getinfo.
CURLcode depot_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode depot_curl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode depot_curl_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode depot_curl_setopt_offset(CURL *handle, CURLoption option, curl_off_t value);
CURLcode depot_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);
/// "7.88.1" — the version of the linked libcurl.
const char *depot_curl_version(void);

#endif
