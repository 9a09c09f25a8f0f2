/* unit.h - what every cmocka unit test includes. */
#ifndef MEDSENTRY_TESTS_UNIT_H
#define MEDSENTRY_TESTS_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */
#include <cmocka.h>

#endif
