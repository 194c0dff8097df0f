/* SPDX-License-Identifier: MIT */
/*
 * Section annotations of init and exit code: nothing here (a module's code
 * stays loaded). module_init()/module_exit() are <linux/module.h>'s.
 */
#ifndef _DMASTACK_LINUX_INIT_H
#define _DMASTACK_LINUX_INIT_H

#ifndef __init
#define __init
#endif
#ifndef __exit
#define __exit
#endif
#ifndef __initdata
#define __initdata
#endif
#ifndef __exitdata
#define __exitdata
#endif
#define __initconst
#define __ref
#define __refdata

#endif /* _DMASTACK_LINUX_INIT_H */
