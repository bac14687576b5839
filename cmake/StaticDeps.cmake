# SPDX-License-Identifier: MIT
# SEALMAIL_STATIC_DEPS: find the archives of GMime, GLib and SQLite and check
# that a program calling g_mime_init() links and runs with them and the
# shims (src/shim/gmime_nocrypto.c, idn2_lazy.c, libm_lazy.c).  Sets SEALMAIL_STATIC_DEPS_GMIME and
# SEALMAIL_STATIC_DEPS_LIBS, or leaves them empty (shared libraries then).
set(SEALMAIL_STATIC_DEPS_GMIME "")
set(SEALMAIL_STATIC_DEPS_LIBS "")
if(NOT SEALMAIL_STATIC_DEPS)
  return()
endif()

set(_sm_missing "")
foreach(_lib gmime-3.0 gobject-2.0 glib-2.0 ffi pcre2-8 z sqlite3)
  string(MAKE_C_IDENTIFIER "${_lib}" _id)
  find_library(SEALMAIL_A_${_id} NAMES lib${_lib}.a)
  if(SEALMAIL_A_${_id})
    list(APPEND _sm_archives "${SEALMAIL_A_${_id}}")
  else()
    list(APPEND _sm_missing lib${_lib}.a)
  endif()
endforeach()
# libidn2 is not linked: src/shim/idn2_lazy.c loads the shared library
# when a domain needs it (its libunistring has no archive on Debian, and
# loading it cost every command 0.1 ms).  Its header is needed.
find_path(SEALMAIL_IDN2_INCLUDE idn2.h)
if(NOT SEALMAIL_IDN2_INCLUDE)
  list(APPEND _sm_missing idn2.h)
endif()
# libm is not linked either: src/shim/libm_lazy.c defines the math
# functions SQLite's archive references (its SQL math functions, never
# called by sealmail's SQL) and loads the shared libm when one is called
# (mapping libm cost every command 0.06-0.1 ms).
find_package(Threads REQUIRED)

if(_sm_missing)
  message(STATUS "sealmail: static dependencies off, missing ${_sm_missing}")
  return()
endif()

list(POP_FRONT _sm_archives _sm_gmime)
set(_sm_libs ${_sm_archives} Threads::Threads ${CMAKE_DL_LIBS})

# One program as the CLI links: g_mime_init() must run with the shims, and
# GMime's IDN conversion reach libidn2 through idn2_lazy.c.
set(_sm_dir ${CMAKE_BINARY_DIR}/static-deps-check)
file(WRITE ${_sm_dir}/check.c [=[
#include <gmime/gmime.h>
#include <sqlite3.h>
#include <string.h>
int main(void)
{
	GMimeStream *s;
	InternetAddressList *l;
	const char *idn;
	int ok;
	g_mime_init();
	s = g_mime_stream_mem_new();
	g_object_unref(s);
	l = internet_address_list_parse(NULL, "a@b\xc3\xbc" "cher.example");
	idn = l != NULL && internet_address_list_length(l) == 1
	              ? internet_address_mailbox_get_idn_addr(
	                        INTERNET_ADDRESS_MAILBOX(
	                                internet_address_list_get_address(l, 0)))
	              : "";
	ok = strcmp(idn, "a@xn--bcher-kva.example") == 0;
	if (l != NULL)
		g_object_unref(l);
	return ok && sqlite3_libversion_number() > 0 ? 0 : 1;
}
]=])
try_run(_sm_run _sm_compile ${_sm_dir}/build
  SOURCES ${_sm_dir}/check.c ${PROJECT_SOURCE_DIR}/src/shim/gmime_nocrypto.c
    ${PROJECT_SOURCE_DIR}/src/shim/idn2_lazy.c
    ${PROJECT_SOURCE_DIR}/src/shim/libm_lazy.c
  CMAKE_FLAGS "-DINCLUDE_DIRECTORIES=${GMIME_INCLUDE_DIRS};${SQLITE_INCLUDE_DIRS};${SEALMAIL_IDN2_INCLUDE}"
  LINK_LIBRARIES ${_sm_gmime} ${_sm_libs}
  LINK_OPTIONS -Wl,--gc-sections -Wl,--as-needed
  COMPILE_OUTPUT_VARIABLE _sm_out)
if(NOT _sm_compile OR NOT _sm_run EQUAL 0)
  message(STATUS "sealmail: static dependencies off: the check program "
                 "does not link or run (${_sm_run})")
  file(WRITE ${_sm_dir}/check.log "${_sm_out}")
  return()
endif()
message(STATUS "sealmail: GMime, GLib and SQLite linked statically")
set(SEALMAIL_STATIC_DEPS_GMIME ${_sm_gmime})
set(SEALMAIL_STATIC_DEPS_LIBS ${_sm_libs})
