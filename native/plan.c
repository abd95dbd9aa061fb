/* Parser for the MSG_PLAN record stream (native/PROTOCOL.md). Values are not
 * copied: strings point into the received buffer, which ends each one with a NUL. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/seccomp.h>
#include <string.h>

#include "berth.h"
#include "plan.h"
#include "protocol.h"

struct rec {
	uint16_t tag;
	uint32_t len;
	const unsigned char *val;
};

struct cursor {
	const unsigned char *p;
	size_t left;
	const char *where; /* "plan", "plan MOUNT", ... for messages */
};

static int next_rec(struct cursor *c, struct rec *r)
{
	if (c->left == 0)
		return 0;
	if (c->left < 8)
		die(EINVAL, "%s: truncated record header", c->where);
	r->tag = (uint16_t)(c->p[0] | c->p[1] << 8);
	r->len = (uint32_t)c->p[4] | (uint32_t)c->p[5] << 8 | (uint32_t)c->p[6] << 16 | (uint32_t)c->p[7] << 24;
	if (r->len > c->left - 8)
		die(EINVAL, "%s: record with tag %u overruns the plan", c->where, r->tag);
	r->val = c->p + 8;
	c->p += 8 + r->len;
	c->left -= 8 + r->len;
	return 1;
}

static uint32_t u32(const struct cursor *c, const struct rec *r)
{
	if (r->len != 4)
		die(EINVAL, "%s: tag %u: u32 value has length %u", c->where, r->tag, r->len);
	return (uint32_t)r->val[0] | (uint32_t)r->val[1] << 8 | (uint32_t)r->val[2] << 16 | (uint32_t)r->val[3] << 24;
}

static uint64_t u64(const struct cursor *c, const struct rec *r)
{
	if (r->len != 8)
		die(EINVAL, "%s: tag %u: u64 value has length %u", c->where, r->tag, r->len);
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | r->val[i];
	return v;
}

static const char *str(const struct cursor *c, const struct rec *r)
{
	if (r->len == 0 || r->val[r->len - 1] != 0 || memchr(r->val, 0, r->len) != r->val + r->len - 1)
		die(EINVAL, "%s: tag %u: malformed string", c->where, r->tag);
	return (const char *)r->val;
}

static struct cursor nest(const struct rec *r, const char *where)
{
	struct cursor c = { r->val, r->len, where };
	return c;
}

static __attribute__((noreturn)) void unknown(const struct cursor *c, const struct rec *r)
{
	die(EINVAL, "%s: unknown tag %u", c->where, r->tag);
}

static void push_str(const struct cursor *c, const struct rec *r, struct strv *sv)
{
	/* keep one spare slot for the terminating NULL */
	sv->v = xrealloc(sv->v, (sv->n + 2) * sizeof(char *));
	sv->v[sv->n++] = str(c, r);
	sv->v[sv->n] = NULL;
}

static void push_u32(const struct cursor *c, const struct rec *r, uint32_t **arr, size_t *n)
{
	uint32_t *el = grow((void **)arr, n, sizeof(uint32_t));
	*el = u32(c, r);
}

static void require(const struct cursor *c, const void *v, const char *what)
{
	if (v == NULL)
		die(EINVAL, "%s: missing %s", c->where, what);
}

static void empty_strv(struct strv *sv)
{
	if (sv->v == NULL) {
		sv->v = xmalloc(sizeof(char *));
		sv->v[0] = NULL;
	}
}

static void parse_nsjoin(struct plan *p, const struct rec *outer)
{
	struct cursor c = nest(outer, "plan NS_JOIN");
	struct nsjoin *ns = grow((void **)&p->ns, &p->nns, sizeof(*ns));
	struct rec r;
	while (next_rec(&c, &r)) {
		switch (r.tag) {
		case NS_TYPE: ns->type = u32(&c, &r); break;
		case NS_PATH: ns->path = str(&c, &r); break;
		default: unknown(&c, &r);
		}
	}
	require(&c, ns->path, "NS_PATH");
}

static void parse_rlimit(struct plan *p, const struct rec *outer)
{
	struct cursor c = nest(outer, "plan RLIMIT");
	struct rlim *rl = grow((void **)&p->rl, &p->nrl, sizeof(*rl));
	struct rec r;
	while (next_rec(&c, &r)) {
		switch (r.tag) {
		case RL_TYPE: rl->type = u32(&c, &r); break;
		case RL_SOFT: rl->soft = u64(&c, &r); break;
		case RL_HARD: rl->hard = u64(&c, &r); break;
		default: unknown(&c, &r);
		}
	}
}

static void parse_mount(struct plan *p, const struct rec *outer)
{
	struct cursor c = nest(outer, "plan MOUNT");
	struct mnt *m = grow((void **)&p->mounts, &p->nmounts, sizeof(*m));
	struct rec r;
	while (next_rec(&c, &r)) {
		switch (r.tag) {
		case M_SOURCE: m->source = str(&c, &r); break;
		case M_DEST: m->dest = str(&c, &r); break;
		case M_FSTYPE: m->fstype = str(&c, &r); break;
		case M_FLAGS: m->flags = u64(&c, &r); break;
		case M_DATA: m->data = str(&c, &r); break;
		case M_PROPAGATION: push_u32(&c, &r, &m->prop, &m->nprop); break;
		case M_BIND: m->bind = u32(&c, &r) != 0; break;
		case M_REMOUNT_FLAGS: m->remount_flags = u64(&c, &r); break;
		case M_DEST_IS_FILE: m->dest_is_file = u32(&c, &r) != 0; break;
		case M_CGROUP: m->cgroup = u32(&c, &r) != 0; break;
		case M_COPYUP: m->copyup = u32(&c, &r) != 0; break;
		default: unknown(&c, &r);
		}
	}
	require(&c, m->dest, "M_DEST");
	if (m->source == NULL)
		m->source = "";
	if (m->fstype == NULL)
		m->fstype = "";
}

static void parse_mount_attr(struct plan *p, const struct rec *outer)
{
	struct cursor c = nest(outer, "plan MOUNT_ATTR");
	struct mattr *a = grow((void **)&p->mattrs, &p->nmattrs, sizeof(*a));
	struct rec r;
	a->mount = UINT32_MAX;
	while (next_rec(&c, &r)) {
		switch (r.tag) {
		case MA_MOUNT: a->mount = u32(&c, &r); break;
		case MA_SET: a->set = u64(&c, &r); break;
		case MA_CLEAR: a->clear = u64(&c, &r); break;
		case MA_WHAT: a->what = str(&c, &r); break;
		default: unknown(&c, &r);
		}
	}
	require(&c, a->what, "MA_WHAT");
}

static void parse_mount_idmap(struct plan *p, const struct rec *outer)
{
	struct cursor c = nest(outer, "plan MOUNT_IDMAP");
	struct idmnt *m = grow((void **)&p->idmaps, &p->nidmaps, sizeof(*m));
	struct rec r;
	m->mount = UINT32_MAX;
	m->tree = -1;
	while (next_rec(&c, &r)) {
		switch (r.tag) {
		case IDMAP_MOUNT: m->mount = u32(&c, &r); break;
		case IDMAP_UID_MAP: m->uid_map = str(&c, &r); break;
		case IDMAP_GID_MAP: m->gid_map = str(&c, &r); break;
		case IDMAP_USERNS: m->userns = str(&c, &r); break;
		case IDMAP_RECURSIVE: m->recursive = u32(&c, &r) != 0; break;
		case IDMAP_WHAT: m->what = str(&c, &r); break;
		default: unknown(&c, &r);
		}
	}
	require(&c, m->what, "IDMAP_WHAT");
	if ((m->uid_map != NULL) != (m->gid_map != NULL) || (m->uid_map != NULL) == (m->userns != NULL))
		die(EINVAL, "plan MOUNT_IDMAP: give IDMAP_UID_MAP with IDMAP_GID_MAP, or IDMAP_USERNS");
}

/* Point each mount at its MOUNT_ATTR / MOUNT_IDMAP record, once the mounts array is final. */
static void link_mount_extras(struct plan *p)
{
	for (size_t i = 0; i < p->nmattrs; i++) {
		struct mattr *a = &p->mattrs[i];
		if (a->mount >= p->nmounts || p->mounts[a->mount].attr != NULL)
			die(EINVAL, "plan MOUNT_ATTR: MA_MOUNT %u names no mount, or one that has attributes already",
			    a->mount);
		p->mounts[a->mount].attr = a;
	}
	for (size_t i = 0; i < p->nidmaps; i++) {
		struct idmnt *m = &p->idmaps[i];
		if (m->mount >= p->nmounts || !p->mounts[m->mount].bind || p->mounts[m->mount].idmap != NULL)
			die(EINVAL,
			    "plan MOUNT_IDMAP: IDMAP_MOUNT %u names no bind mount, or one that is idmapped already",
			    m->mount);
		p->mounts[m->mount].idmap = m;
	}
}

static void parse_device(struct plan *p, const struct rec *outer)
{
	struct cursor c = nest(outer, "plan DEVICE");
	struct dev *d = grow((void **)&p->devs, &p->ndevs, sizeof(*d));
	struct rec r;
	while (next_rec(&c, &r)) {
		switch (r.tag) {
		case D_PATH: d->path = str(&c, &r); break;
		case D_TYPE: d->type = u32(&c, &r); break;
		case D_MAJOR: d->major = u32(&c, &r); break;
		case D_MINOR: d->minor = u32(&c, &r); break;
		case D_MODE: d->mode = u32(&c, &r); break;
		case D_UID: d->uid = u32(&c, &r); break;
		case D_GID: d->gid = u32(&c, &r); break;
		case D_BIND: d->bind = str(&c, &r); break;
		default: unknown(&c, &r);
		}
	}
	require(&c, d->path, "D_PATH");
}

static void parse_pair(const struct rec *outer, const char *where, struct pair **arr, size_t *n, uint16_t ta,
		       uint16_t tb)
{
	struct cursor c = nest(outer, where);
	struct pair *pr = grow((void **)arr, n, sizeof(*pr));
	struct rec r;
	while (next_rec(&c, &r)) {
		if (r.tag == ta)
			pr->a = str(&c, &r);
		else if (r.tag == tb)
			pr->b = str(&c, &r);
		else
			unknown(&c, &r);
	}
	require(&c, pr->a, "first field");
	require(&c, pr->b, "second field");
}

static void parse_hook(const struct rec *outer, const char *where, struct hook **arr, size_t *n)
{
	struct cursor c = nest(outer, where);
	struct hook *h = grow((void **)arr, n, sizeof(*h));
	struct rec r;
	while (next_rec(&c, &r)) {
		switch (r.tag) {
		case H_PATH: h->path = str(&c, &r); break;
		case H_ARG: push_str(&c, &r, &h->args); break;
		case H_ENV: push_str(&c, &r, &h->env); break;
		case H_TIMEOUT: h->timeout = u32(&c, &r); break;
		default: unknown(&c, &r);
		}
	}
	require(&c, h->path, "H_PATH");
	if (h->args.n == 0) {
		h->args.v = xmalloc(2 * sizeof(char *));
		h->args.v[0] = h->path;
		h->args.v[1] = NULL;
		h->args.n = 1;
	}
	empty_strv(&h->env);
}

static void parse_console_size(struct plan *p, const struct rec *outer)
{
	struct cursor c = nest(outer, "plan CONSOLE_SIZE");
	struct rec r;
	p->has_console_size = 1;
	while (next_rec(&c, &r)) {
		switch (r.tag) {
		case CONSOLE_HEIGHT: p->console_height = u32(&c, &r); break;
		case CONSOLE_WIDTH: p->console_width = u32(&c, &r); break;
		default: unknown(&c, &r);
		}
	}
}

static void parse_seccomp(struct plan *p, const struct rec *outer)
{
	struct cursor c = nest(outer, "plan SECCOMP");
	struct rec r;
	p->has_seccomp = 1;
	while (next_rec(&c, &r)) {
		switch (r.tag) {
		case SECCOMP_BPF:
			p->seccomp_bpf = r.val;
			p->seccomp_len = r.len;
			break;
		case SECCOMP_FLAGS: p->seccomp_flags = u32(&c, &r); break;
		case SECCOMP_AGENT_FD: p->seccomp_agent_fd = (int)u32(&c, &r); break;
		default: unknown(&c, &r);
		}
	}
	if (p->seccomp_len == 0 || p->seccomp_len % 8 != 0)
		die(EINVAL, "plan SECCOMP: filter length %zu is not a multiple of 8", p->seccomp_len);
	/* A listener needs someone to hand it to, and an agent socket is only for a listener. */
	if ((p->seccomp_agent_fd >= 0) != ((p->seccomp_flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) != 0))
		die(EINVAL, "plan SECCOMP: SECCOMP_AGENT_FD and the NEW_LISTENER flag must come together");
}

static void parse_label(struct plan *p, const struct rec *outer)
{
	struct cursor c = nest(outer, "plan EXEC_LABEL");
	struct rec r;
	while (next_rec(&c, &r)) {
		switch (r.tag) {
		case LABEL_ATTR: p->label_attr = str(&c, &r); break;
		case LABEL_VALUE: p->label_value = str(&c, &r); break;
		case LABEL_WHAT: p->label_what = str(&c, &r); break;
		default: unknown(&c, &r);
		}
	}
	if (p->label_attr == NULL || p->label_value == NULL || p->label_what == NULL)
		die(EINVAL, "plan EXEC_LABEL: LABEL_ATTR, LABEL_VALUE and LABEL_WHAT are all required");
}

void plan_parse(struct plan *p, const unsigned char *buf, size_t len)
{
	struct cursor c = { buf, len, "plan" };
	struct rec r;

	memset(p, 0, sizeof(*p));
	p->console_socket_fd = -1;
	p->pidfd_socket_fd = -1;
	p->seccomp_agent_fd = -1;
	while (next_rec(&c, &r)) {
		switch (r.tag) {
		case T_VERSION: p->version = u32(&c, &r); break;
		case T_MODE: p->mode = u32(&c, &r); break;
		case T_CLONE_FLAGS: p->clone_flags = u32(&c, &r); break;
		case T_NS_JOIN: parse_nsjoin(p, &r); break;
		case T_TIMENS_OFFSETS: p->timens_offsets = str(&c, &r); break;
		case T_OOM_SCORE_ADJ: p->oom_score_adj = str(&c, &r); break;
		case T_RLIMIT: parse_rlimit(p, &r); break;
		case T_ROOTFS: p->rootfs = str(&c, &r); break;
		case T_ROOTFS_PROPAGATION:
			p->has_rootfs_prop = 1;
			p->rootfs_prop = u32(&c, &r);
			break;
		case T_ROOT_READONLY: p->root_readonly = u32(&c, &r); break;
		case T_NO_PIVOT: p->no_pivot = u32(&c, &r); break;
		case T_MOUNT: parse_mount(p, &r); break;
		case T_DEVICE: parse_device(p, &r); break;
		case T_SYMLINK: parse_pair(&r, "plan SYMLINK", &p->links, &p->nlinks, LINK_TARGET, LINK_PATH); break;
		case T_MASKED_PATH: push_str(&c, &r, &p->masked); break;
		case T_READONLY_PATH: push_str(&c, &r, &p->readonly); break;
		case T_REMOUNT_READONLY: push_str(&c, &r, &p->remount_ro); break;
		case T_SYSCTL: parse_pair(&r, "plan SYSCTL", &p->sysctl, &p->nsysctl, SYSCTL_KEY, SYSCTL_VALUE); break;
		case T_HOSTNAME: p->hostname = str(&c, &r); break;
		case T_DOMAINNAME: p->domainname = str(&c, &r); break;
		case T_ARG: push_str(&c, &r, &p->args); break;
		case T_ENV: push_str(&c, &r, &p->env); break;
		case T_CWD: p->cwd = str(&c, &r); break;
		case T_UID: p->uid = u32(&c, &r); break;
		case T_GID: p->gid = u32(&c, &r); break;
		case T_ADDITIONAL_GID: push_u32(&c, &r, &p->groups, &p->ngroups); break;
		case T_UMASK:
			p->has_umask = 1;
			p->umask = u32(&c, &r);
			break;
		case T_CAP_BOUNDING: p->cap_bounding = u64(&c, &r); break;
		case T_CAP_EFFECTIVE: p->cap_effective = u64(&c, &r); break;
		case T_CAP_PERMITTED: p->cap_permitted = u64(&c, &r); break;
		case T_CAP_INHERITABLE: p->cap_inheritable = u64(&c, &r); break;
		case T_CAP_AMBIENT: p->cap_ambient = u64(&c, &r); break;
		case T_NO_NEW_PRIVS: p->no_new_privs = u32(&c, &r); break;
		case T_TERMINAL: p->terminal = u32(&c, &r); break;
		case T_CONSOLE_SOCKET_FD: p->console_socket_fd = (int)u32(&c, &r); break;
		case T_PIDFD_SOCKET_FD: p->pidfd_socket_fd = (int)u32(&c, &r); break;
		case T_CONSOLE_SIZE: parse_console_size(p, &r); break;
		case T_PRESERVE_FDS: p->preserve_fds = u32(&c, &r); break;
		case T_FIFO_PATH: p->fifo_path = str(&c, &r); break;
		case T_HOOKS_SYNC: p->hooks_sync = u32(&c, &r); break;
		case T_TRACE: p->trace = u32(&c, &r); break;
		case T_HOOK_CREATE_CONTAINER:
			parse_hook(&r, "plan HOOK_CREATE_CONTAINER", &p->create_hooks, &p->ncreate_hooks);
			break;
		case T_HOOK_START_CONTAINER:
			parse_hook(&r, "plan HOOK_START_CONTAINER", &p->start_hooks, &p->nstart_hooks);
			break;
		case T_WAIT: p->wait = u32(&c, &r); break;
		case T_CHECK_EXEC: p->check_exec = u32(&c, &r); break;
		case T_SECCOMP: parse_seccomp(p, &r); break;
		case T_SETSID: p->setsid = u32(&c, &r); break;
		case T_DEVPTS_PTMX: p->devpts_ptmx = u32(&c, &r); break;
		case T_LISTEN_FDS: p->listen_fds = u32(&c, &r); break;
		case T_USERNS: p->userns = u32(&c, &r); break;
		case T_DEFAULT_PATH: p->default_path = str(&c, &r); break;
		case T_SESSION_KEYRING: p->session_keyring = str(&c, &r); break;
		case T_CGROUP_TASKS: push_str(&c, &r, &p->cgroup_tasks); break;
		case T_CGROUP_INTO: p->cgroup_into = str(&c, &r); break;
		case T_EXEC_LABEL: parse_label(p, &r); break;
		case T_PERSONALITY:
			p->has_personality = 1;
			p->personality = u32(&c, &r);
			break;
		case T_IOPRIO:
			p->has_ioprio = 1;
			p->ioprio = u32(&c, &r);
			break;
		case T_SCHED_ATTR:
			p->sched_attr = r.val;
			p->sched_attr_len = r.len;
			break;
		case T_MEMPOLICY_MODE:
			p->has_mempolicy = 1;
			p->mempolicy = u32(&c, &r);
			break;
		case T_MEMPOLICY_NODES:
			p->mem_nodes = r.val;
			p->mem_nodes_len = r.len;
			break;
		case T_CPU_AFFINITY_INITIAL:
			p->cpus_initial = r.val;
			p->cpus_initial_len = r.len;
			break;
		case T_CPU_AFFINITY_FINAL:
			p->cpus_final = r.val;
			p->cpus_final_len = r.len;
			break;
		case T_MOUNT_ATTR: parse_mount_attr(p, &r); break;
		case T_MOUNT_IDMAP: parse_mount_idmap(p, &r); break;
		default: unknown(&c, &r);
		}
	}
	if (p->version != PROTOCOL_VERSION)
		die(EINVAL, "plan: protocol version %u, berth-init speaks %u", p->version, PROTOCOL_VERSION);
	if (p->mode != MODE_INIT && p->mode != MODE_EXEC)
		die(EINVAL, "plan: unknown mode %u", p->mode);
	if (p->args.n == 0)
		die(EINVAL, "plan: no ARG (process.args is empty)");
	if (p->mode == MODE_INIT && p->rootfs == NULL)
		die(EINVAL, "plan: init mode without ROOTFS");
	link_mount_extras(p);
	empty_strv(&p->env);
	empty_strv(&p->masked);
	empty_strv(&p->cgroup_tasks);
	empty_strv(&p->readonly);
	empty_strv(&p->remount_ro);
	if (p->cwd == NULL)
		p->cwd = "/";
}
