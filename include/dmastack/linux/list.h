/* SPDX-License-Identifier: MIT */
/*
 * Circular doubly linked lists with a head node (struct list_head, from
 * <linux/types.h>) and hash-bucket lists with a one-pointer head (struct
 * hlist_head), with the kernel's operations and iterators.
 *
 * As with the kernel's CONFIG_DEBUG_LIST, adding and deleting check their
 * neighbours first: a corrupted list, an entry deleted twice or added
 * twice is a WARN, and the operation is not done (no write through a
 * poisoned pointer). A deleted entry's pointers are LIST_POISON1/2, which
 * fault if followed.
 *
 * Nothing is locked: the caller serializes writers, as in the kernel.
 */
#ifndef _DMASTACK_LINUX_LIST_H
#define _DMASTACK_LINUX_LIST_H

#include <stddef.h>
#include "types.h"
#include "compiler.h"
#include "container_of.h"
#include "bug.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a deleted entry points to: low addresses nothing is mapped at. */
#define LIST_POISON1	((void *)0x100)
#define LIST_POISON2	((void *)0x122)

/* ------------------------------------------------------------ list_head */

#define LIST_HEAD_INIT(name)	{ &(name), &(name) }
/* An empty list named @name. */
#define LIST_HEAD(name)		struct list_head name = LIST_HEAD_INIT(name)

/* @list becomes an empty list (or an entry on none). */
static inline void INIT_LIST_HEAD(struct list_head *list)
{
	WRITE_ONCE(list->next, list);
	WRITE_ONCE(list->prev, list);
}

/* NULL (never initialized) or poisoned (deleted): not to be followed */
static inline bool __list_ptr_bad(const struct list_head *p)
{
	return !p || p == LIST_POISON1 || p == LIST_POISON2;
}

/* May @entry go between @prev and @next? A WARN if the list is broken. */
static inline bool __list_add_valid(struct list_head *entry,
				    struct list_head *prev,
				    struct list_head *next)
{
	if (unlikely(__list_ptr_bad(prev) || __list_ptr_bad(next)))
		return !WARN(1, "list_add corruption: prev %p, next %p",
			     (void *)prev, (void *)next);
	if (unlikely(next->prev != prev || prev->next != next))
		return !WARN(1, "list_add corruption: prev %p and next %p are not neighbours",
			     (void *)prev, (void *)next);
	if (unlikely(entry == prev || entry == next))
		return !WARN(1, "list_add double add: new %p, prev %p, next %p",
			     (void *)entry, (void *)prev, (void *)next);
	return true;
}

/* May @entry be taken out of its list? A WARN if not. */
static inline bool __list_del_entry_valid(struct list_head *entry)
{
	struct list_head *prev = entry->prev, *next = entry->next;

	if (unlikely(next == LIST_POISON1 || prev == LIST_POISON2))
		return !WARN(1, "list_del corruption: %p was deleted already",
			     (void *)entry);
	if (unlikely(__list_ptr_bad(prev) || __list_ptr_bad(next)))
		return !WARN(1, "list_del corruption: %p is on no list (prev %p, next %p)",
			     (void *)entry, (void *)prev, (void *)next);
	if (unlikely(prev->next != entry || next->prev != entry))
		return !WARN(1, "list_del corruption: the neighbours of %p do not point to it",
			     (void *)entry);
	return true;
}

/* @entry between the neighbours @prev and @next */
static inline void __list_add(struct list_head *entry, struct list_head *prev,
			      struct list_head *next)
{
	if (!__list_add_valid(entry, prev, next))
		return;
	next->prev = entry;
	entry->next = next;
	entry->prev = prev;
	WRITE_ONCE(prev->next, entry);
}

/* @entry right after @head (the front of the list: a stack). */
static inline void list_add(struct list_head *entry, struct list_head *head)
{
	__list_add(entry, head, head->next);
}

/* @entry right before @head (the end of the list: a queue). */
static inline void list_add_tail(struct list_head *entry, struct list_head *head)
{
	__list_add(entry, head->prev, head);
}

/* Link @prev and @next to each other (what was between them is out). */
static inline void __list_del(struct list_head *prev, struct list_head *next)
{
	next->prev = prev;
	WRITE_ONCE(prev->next, next);
}

/* @entry out of its list, its own pointers left as they were. */
static inline void __list_del_entry(struct list_head *entry)
{
	if (!__list_del_entry_valid(entry))
		return;
	__list_del(entry->prev, entry->next);
}

/* @entry out of its list; it points to the poison values afterwards. */
static inline void list_del(struct list_head *entry)
{
	if (!__list_del_entry_valid(entry))
		return;
	__list_del(entry->prev, entry->next);
	entry->next = (struct list_head *)LIST_POISON1;
	entry->prev = (struct list_head *)LIST_POISON2;
}

/* @entry out of its list and an empty list of its own. */
static inline void list_del_init(struct list_head *entry)
{
	__list_del_entry(entry);
	INIT_LIST_HEAD(entry);
}

/* @entry takes @old's place; @old's pointers are left as they were. */
static inline void list_replace(struct list_head *old, struct list_head *entry)
{
	struct list_head *prev = old->prev, *next = old->next;

	entry->prev = prev;
	entry->next = next;
	prev->next = entry;
	next->prev = entry;
}

/* As list_replace(), and @old becomes an empty list. */
static inline void list_replace_init(struct list_head *old,
				     struct list_head *entry)
{
	list_replace(old, entry);
	INIT_LIST_HEAD(old);
}

/* @list out of its list and to the front of @head's. */
static inline void list_move(struct list_head *list, struct list_head *head)
{
	__list_del_entry(list);
	list_add(list, head);
}

/* @list out of its list and to the end of @head's. */
static inline void list_move_tail(struct list_head *list,
				  struct list_head *head)
{
	__list_del_entry(list);
	list_add_tail(list, head);
}

static inline int list_is_first(const struct list_head *list,
				const struct list_head *head)
{
	return list->prev == head;
}

static inline int list_is_last(const struct list_head *list,
			       const struct list_head *head)
{
	return list->next == head;
}

static inline int list_is_head(const struct list_head *list,
			       const struct list_head *head)
{
	return list == head;
}

static inline int list_empty(const struct list_head *head)
{
	return READ_ONCE(head->next) == head;
}

/* Empty, checking both pointers (another CPU may be mid-deletion). */
static inline int list_empty_careful(const struct list_head *head)
{
	struct list_head *next = READ_ONCE(head->next);

	return list_is_head(next, head) && next == READ_ONCE(head->prev);
}

/* Exactly one entry? */
static inline int list_is_singular(const struct list_head *head)
{
	return !list_empty(head) && head->next == head->prev;
}

/* The first entry becomes the last. */
static inline void list_rotate_left(struct list_head *head)
{
	if (!list_empty(head))
		list_move_tail(head->next, head);
}

/* @list's entries between @prev and @next (@list itself is left as is). */
static inline void __list_splice(const struct list_head *list,
				 struct list_head *prev,
				 struct list_head *next)
{
	struct list_head *first = list->next, *last = list->prev;

	first->prev = prev;
	prev->next = first;
	last->next = next;
	next->prev = last;
}

/* @list's entries to the front of @head's; @list is stale afterwards. */
static inline void list_splice(const struct list_head *list,
			       struct list_head *head)
{
	if (!list_empty(list))
		__list_splice(list, head, head->next);
}

/* @list's entries to the end of @head's; @list is stale afterwards. */
static inline void list_splice_tail(struct list_head *list,
				    struct list_head *head)
{
	if (!list_empty(list))
		__list_splice(list, head->prev, head);
}

/* As list_splice(), and @list is empty afterwards. */
static inline void list_splice_init(struct list_head *list,
				    struct list_head *head)
{
	if (!list_empty(list)) {
		__list_splice(list, head, head->next);
		INIT_LIST_HEAD(list);
	}
}

/* As list_splice_tail(), and @list is empty afterwards. */
static inline void list_splice_tail_init(struct list_head *list,
					 struct list_head *head)
{
	if (!list_empty(list)) {
		__list_splice(list, head->prev, head);
		INIT_LIST_HEAD(list);
	}
}

/* The structure (@type) whose @member is the list_head @ptr. */
#define list_entry(ptr, type, member)	container_of(ptr, type, member)

/* The first and last entries of a list that is not empty. */
#define list_first_entry(ptr, type, member)				\
	list_entry((ptr)->next, type, member)
#define list_last_entry(ptr, type, member)				\
	list_entry((ptr)->prev, type, member)

/* The first entry, or NULL if the list is empty. */
#define list_first_entry_or_null(ptr, type, member)			\
	__list_first_or_null(ptr, type, member, __UNIQUE_ID(lfe_head_),	\
			     __UNIQUE_ID(lfe_pos_))
#define __list_first_or_null(ptr, type, member, h, p)			\
	({								\
		struct list_head *h = (ptr);				\
		struct list_head *p = READ_ONCE(h->next);		\
		p != h ? list_entry(p, type, member) : NULL;		\
	})

/* The last entry, or NULL if the list is empty. */
#define list_last_entry_or_null(ptr, type, member)			\
	(list_empty(ptr) ? NULL : list_last_entry(ptr, type, member))

/* The entry after (before) @pos, the same type on the same member. */
#define list_next_entry(pos, member)					\
	list_entry((pos)->member.next, __typeof__(*(pos)), member)
#define list_prev_entry(pos, member)					\
	list_entry((pos)->member.prev, __typeof__(*(pos)), member)

/* Is the entry @pos really the list's head (the end of an iteration)? */
#define list_entry_is_head(pos, head, member)				\
	(&(pos)->member == (head))

/* Each list_head of @head, front to back; @pos may not be deleted. */
#define list_for_each(pos, head)					\
	for (pos = (head)->next; !list_is_head(pos, (head)); pos = pos->next)

#define list_for_each_prev(pos, head)					\
	for (pos = (head)->prev; !list_is_head(pos, (head)); pos = pos->prev)

/* As list_for_each(); @pos may be deleted (@n holds the next one). */
#define list_for_each_safe(pos, n, head)				\
	for (pos = (head)->next, n = pos->next;				\
	     !list_is_head(pos, (head));				\
	     pos = n, n = pos->next)

#define list_for_each_prev_safe(pos, n, head)				\
	for (pos = (head)->prev, n = pos->prev;				\
	     !list_is_head(pos, (head));				\
	     pos = n, n = pos->prev)

/* The number of entries (walks the list). */
static inline size_t list_count_nodes(struct list_head *head)
{
	struct list_head *pos;
	size_t count = 0;

	list_for_each(pos, head)
		count++;
	return count;
}

/* Each entry of @head, front to back, in @pos (of the entries' type). */
#define list_for_each_entry(pos, head, member)				\
	for (pos = list_first_entry(head, __typeof__(*pos), member);	\
	     !list_entry_is_head(pos, head, member);			\
	     pos = list_next_entry(pos, member))

#define list_for_each_entry_reverse(pos, head, member)			\
	for (pos = list_last_entry(head, __typeof__(*pos), member);	\
	     !list_entry_is_head(pos, head, member);			\
	     pos = list_prev_entry(pos, member))

/* As list_for_each_entry(); @pos may be deleted (@n is the next one). */
#define list_for_each_entry_safe(pos, n, head, member)			\
	for (pos = list_first_entry(head, __typeof__(*pos), member),	\
		n = list_next_entry(pos, member);			\
	     !list_entry_is_head(pos, head, member);			\
	     pos = n, n = list_next_entry(n, member))

#define list_for_each_entry_safe_reverse(pos, n, head, member)		\
	for (pos = list_last_entry(head, __typeof__(*pos), member),	\
		n = list_prev_entry(pos, member);			\
	     !list_entry_is_head(pos, head, member);			\
	     pos = n, n = list_prev_entry(n, member))

/* From the entry after @pos (which is in the list, or its head). */
#define list_for_each_entry_continue(pos, head, member)			\
	for (pos = list_next_entry(pos, member);			\
	     !list_entry_is_head(pos, head, member);			\
	     pos = list_next_entry(pos, member))

/* From @pos itself. */
#define list_for_each_entry_from(pos, head, member)			\
	for (; !list_entry_is_head(pos, head, member);			\
	     pos = list_next_entry(pos, member))

/* @pos, or the head as an entry if @pos is NULL: for _continue(). */
#define list_prepare_entry(pos, head, member)				\
	((pos) ? : list_entry(head, __typeof__(*pos), member))

/* ----------------------------------------------------------------- hlist */

#define HLIST_HEAD_INIT		{ .first = NULL }
#define HLIST_HEAD(name)	struct hlist_head name = { .first = NULL }
#define INIT_HLIST_HEAD(ptr)	((ptr)->first = NULL)

static inline void INIT_HLIST_NODE(struct hlist_node *h)
{
	h->next = NULL;
	h->pprev = NULL;
}

/* Is @h on no list (never added, or deleted with hlist_del_init())? */
static inline int hlist_unhashed(const struct hlist_node *h)
{
	return !h->pprev;
}

static inline int hlist_empty(const struct hlist_head *h)
{
	return !READ_ONCE(h->first);
}

/* @n out of its list, its own pointers left as they were. */
static inline void __hlist_del(struct hlist_node *n)
{
	struct hlist_node *next = n->next;
	struct hlist_node **pprev = n->pprev;

	WRITE_ONCE(*pprev, next);
	if (next)
		next->pprev = pprev;
}

/* @n out of its list; it points to the poison values afterwards. */
static inline void hlist_del(struct hlist_node *n)
{
	if (WARN(n->pprev == (struct hlist_node **)LIST_POISON2,
		 "hlist_del corruption: %p deleted already", (void *)n))
		return;
	__hlist_del(n);
	n->next = (struct hlist_node *)LIST_POISON1;
	n->pprev = (struct hlist_node **)LIST_POISON2;
}

/* @n out of its list if it is on one, and unhashed afterwards. */
static inline void hlist_del_init(struct hlist_node *n)
{
	if (!hlist_unhashed(n)) {
		__hlist_del(n);
		INIT_HLIST_NODE(n);
	}
}

/* @n at the front of @h. */
static inline void hlist_add_head(struct hlist_node *n, struct hlist_head *h)
{
	struct hlist_node *first = h->first;

	n->next = first;
	if (first)
		first->pprev = &n->next;
	WRITE_ONCE(h->first, n);
	n->pprev = &h->first;
}

/* @n right before @next, which is on a list. */
static inline void hlist_add_before(struct hlist_node *n,
				    struct hlist_node *next)
{
	n->pprev = next->pprev;
	n->next = next;
	next->pprev = &n->next;
	WRITE_ONCE(*(n->pprev), n);
}

/* @n right after @prev, which is on a list. */
static inline void hlist_add_behind(struct hlist_node *n,
				    struct hlist_node *prev)
{
	n->next = prev->next;
	WRITE_ONCE(prev->next, n);
	n->pprev = &prev->next;
	if (n->next)
		n->next->pprev = &n->next;
}

#define hlist_entry(ptr, type, member)	container_of(ptr, type, member)

/* The entry of @ptr, or NULL if @ptr is NULL. */
#define hlist_entry_safe(ptr, type, member)				\
	__hlist_entry_safe(ptr, type, member, __UNIQUE_ID(hes_))
#define __hlist_entry_safe(ptr, type, member, p)			\
	({								\
		struct hlist_node *p = (ptr);				\
		p ? hlist_entry(p, type, member) : NULL;		\
	})

#define hlist_for_each(pos, head)					\
	for (pos = (head)->first; pos; pos = pos->next)

#define hlist_for_each_safe(pos, n, head)				\
	for (pos = (head)->first; pos && ({ n = pos->next; 1; }); pos = n)

/* Each entry of @head in @pos (of the entries' type). */
#define hlist_for_each_entry(pos, head, member)				\
	for (pos = hlist_entry_safe((head)->first, __typeof__(*(pos)), member); \
	     pos;							\
	     pos = hlist_entry_safe((pos)->member.next, __typeof__(*(pos)), \
				    member))

/* As hlist_for_each_entry(); @pos may be deleted (@n is the next node). */
#define hlist_for_each_entry_safe(pos, n, head, member)			\
	for (pos = hlist_entry_safe((head)->first, __typeof__(*pos), member); \
	     pos && ({ n = pos->member.next; 1; });			\
	     pos = hlist_entry_safe(n, __typeof__(*pos), member))

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_LIST_H */
