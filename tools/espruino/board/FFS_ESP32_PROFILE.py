#!/bin/false
# Board file for a Linux host build of Espruino with the memory profile of the ESP32 build.
# Written for the FFS provisionee project (MIT); used by tools/espruino/build.mjs, which copies it into
# a copy of the user's Espruino checkout as boards/FFS_ESP32_PROFILE.py. Facts it follows (Espruino 2v29):
#  - boards/ESP32.py: 'variables' 16383 (14-byte JsVars on a 32-bit build), libraries NET, CRYPTO,
#    SHA256, SHA512, TLS, TELNET; Storage in 224 pages of 4096 bytes (896 KB).
#  - No radio on Linux: no ESP32/BLUETOOTH libraries (the project's stand-ins replace Wifi and NRF).
#  - No unicode (ESP32 builds do not define ESPR_UNICODE_SUPPORT).
#  - 32-bit (-m32) so pointers, JsVar layout and integer widths match the Xtensa build.
#  - FFS_LINUX_FLASH_MMAP (the project's patch): Storage reads return flash-backed strings, as
#    jshFlashGetMemMapAddress does on ESP32, instead of the Linux copy into RAM.
import pinutils;
info = {
 'name' : "Linux, ESP32 profile (FFS provisionee test build)",
 'default_console' : "EV_USBSERIAL",
 'variables' : 16383,
 'binary_name' : 'espruino',
 'build' : {
   # Optimised as a release build: the measured costs (docs/ESPRUINO.md) and the ESP32 factor are
   # relative to this (a stock Linux make leaves OPTIMIZEFLAGS empty, i.e. -O0, ~5x slower).
   'optimizeflags' : '-O2',
   'libraries' : [
     'NET',
     'CRYPTO','SHA256','SHA512',
     'TLS',
     'TELNET',
   ],
   'makefile' : [
     'CFLAGS+=-m32', 'LDFLAGS+=-m32', 'DEFINES+=-DUSE_CALLFUNCTION_HACK',
     'DEFINES+=-DFFS_LINUX_FLASH_MMAP=1 -DFFS_ESP32_PROFILE=1',
     # TLS as ESP-IDF's mbedTLS has it on the ESP32 (the stock Linux config has no ECDSA/ECDHE, so a
     # P-256 client certificate and ECDHE-ECDSA suites would fail the handshake).
     'DEFINES+=-DMBEDTLS_ECDH_C -DMBEDTLS_ECDSA_C -DMBEDTLS_ASN1_WRITE_C',
     'DEFINES+=-DMBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED -DMBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED',
     'SOURCES+=libs/crypto/mbedtls/library/ecdh.c libs/crypto/mbedtls/library/ecdsa.c libs/crypto/mbedtls/library/asn1write.c',
     # PEM, as ESP-IDF's mbedTLS has it: the stock Linux config parses DER only (one certificate per
     # buffer), so a PEM chain fails with "mbedtls_x509_crt_parse of 'cert': Invalid format".
     'DEFINES+=-DMBEDTLS_PEM_PARSE_C -DMBEDTLS_BASE64_C',
     'SOURCES+=libs/crypto/mbedtls/library/pem.c libs/crypto/mbedtls/library/base64.c',
     'LINUX=1',
   ]
 }
};
chip = {
  'part' : "LINUX",
  'family' : "LINUX",
  'package' : "",
  'ram' : 0,
  'flash' : 896,
  'speed' : -1,
  'usart' : 6,
  'spi' : 3,
  'i2c' : 3,
  'adc' : 0,
  'dac' : 0,
  'saved_code' : {
    'address' : 0x10000000,
    'page_size' : 4096,
    'pages' : 224,
    'flash_available' : 0,
  },
};

devices = {
  'USB' : {} # the Linux console
};

def get_pins():
  pins = pinutils.generate_pins(0,39)
  return pins
