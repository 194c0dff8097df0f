/* SPDX-License-Identifier: MIT */
/*
 * What kernel code asks of the compiler: branch hints, the compiler
 * barrier, single accesses (READ_ONCE/WRITE_ONCE) and the attributes it
 * spells with the kernel's names.
 *
 * READ_ONCE() and WRITE_ONCE() are relaxed atomic accesses here rather
 * than volatile ones: the same single load or store, and a marked access
 * for ThreadSanitizer as it is for KCSAN in the kernel. They take scalars
 * of 1, 2, 4 or 8 bytes (integers, enums, pointers), as the kernel's do.
 */
#ifndef _DMASTACK_LINUX_COMPILER_H
#define _DMASTACK_LINUX_COMPILER_H

/* glibc's <sys/cdefs.h> first: it has its own __always_inline */
#include <stddef.h>
#include <stdint.h>

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

/* Nothing is cached in registers or moved across it by the compiler. */
#define barrier()	__asm__ __volatile__("" : : : "memory")

#ifndef __always_inline
#define __always_inline	inline __attribute__((__always_inline__))
#endif
#define noinline	__attribute__((__noinline__))
#define __must_check	__attribute__((__warn_unused_result__))
#define __maybe_unused	__attribute__((__unused__))
#define __always_unused	__attribute__((__unused__))
#define __used		__attribute__((__used__))
#define __cold		__attribute__((__cold__))
#define __packed	__attribute__((__packed__))
#define __aligned(n)	__attribute__((__aligned__(n)))
#define __printf(fmt, args) __attribute__((__format__(printf, fmt, args)))
#define __noreturn	__attribute__((__noreturn__))

#if defined(__has_attribute)
#if __has_attribute(__fallthrough__)
#define fallthrough	__attribute__((__fallthrough__))
#endif
#endif
#ifndef fallthrough
#define fallthrough	do { } while (0)
#endif

/* sparse's annotations: address spaces and lock context, checked by none */
#define __user
#define __kernel
#define __iomem
#define __percpu
#define __rcu
#define __force
#define __bitwise
#define __must_hold(x)
#define __acquires(x)
#define __releases(x)

#define ___PASTE(a, b)	a##b
#define __PASTE(a, b)	___PASTE(a, b)
/* A fresh identifier for a macro's local (no shadowing when nested). */
#define __UNIQUE_ID(prefix) __PASTE(__PASTE(__UNIQUE_ID_, prefix), __COUNTER__)

/* Do @a and @b have the same type (qualifiers aside)? */
#ifndef __cplusplus
#define __same_type(a, b)						\
	__builtin_types_compatible_p(__typeof__(a), __typeof__(b))
#else
/* C++ has no __builtin_types_compatible_p: the same test with templates */
extern "C++" {
template <typename T> struct __dmastack_uncv { typedef T type; };
template <typename T> struct __dmastack_uncv<const T> { typedef T type; };
template <typename T> struct __dmastack_uncv<volatile T> { typedef T type; };
template <typename T> struct __dmastack_uncv<const volatile T> { typedef T type; };
template <typename A, typename B> struct __dmastack_same { enum { value = 0 }; };
template <typename A> struct __dmastack_same<A, A> { enum { value = 1 }; };
}
#define __same_type(a, b)						\
	((bool)__dmastack_same<__dmastack_uncv<__typeof__(a)>::type,	\
			       __dmastack_uncv<__typeof__(b)>::type>::value)
#endif

/*
 * 1 if @x is an integer constant expression, else 0, without evaluating
 * @x: (void *)((long)(x) * 0l) is a null pointer constant only when @x is
 * one, and only then does the conditional take the type int *.
 */
#define __is_constexpr(x)						\
	(sizeof(int) == sizeof(*(1 ? ((void *)((long)(x) * 0l)) : (int *)2)))

/*
 * A kernel field whose name is a C++ keyword (page->virtual,
 * pci_dev->class, wait_queue_entry->private) is spelled with a trailing
 * underscore when the header is read by a C++ compiler: the same member
 * at the same offset, under a name C++ accepts.
 */
#ifdef __cplusplus
#define __cxx_field(name)	name##_
#else
#define __cxx_field(name)	name
#endif

/* C11's _Static_assert is C++'s static_assert */
#ifdef __cplusplus
#define __dmastack_static_assert(cond, msg)	static_assert(cond, msg)
#else
#define __dmastack_static_assert(cond, msg)	_Static_assert(cond, msg)
#endif

#define READ_ONCE(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, val)						\
	do {								\
		__typeof__(x) __wo_val = (val);				\
		__atomic_store_n(&(x), __wo_val, __ATOMIC_RELAXED);	\
	} while (0)

#endif /* _DMASTACK_LINUX_COMPILER_H */
