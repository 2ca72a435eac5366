/* exec.c - fork + execve with a fixed environment; output captured. */
#include "apply/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

bool dk_exec_available(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int dk_exec(const char *const argv[], dk_buf *out, int *status, dk_err *e)
{
    static char env_path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    static char env_lc[] = "LC_ALL=C";
    char *const envp[] = {env_path, env_lc, NULL};
    int pfd[2], ws;
    pid_t pid;

    *status = -1;
    if (argv[0] == NULL || argv[0][0] != '/')
        return dk_err_set(e, DK_EINTERNAL, "program path must be absolute");
    if (pipe2(pfd, O_CLOEXEC) < 0)
        return dk_err_errno(e, errno, "pipe");
    pid = fork();
    if (pid < 0) {
        int err = errno;
        (void)close(pfd[0]);
        (void)close(pfd[1]);
        return dk_err_errno(e, err, "fork");
    }
    if (pid == 0) {
        int dn = open("/dev/null", O_RDONLY);

        if (dn >= 0)
            (void)dup2(dn, 0);
        (void)dup2(pfd[1], 1);
        (void)dup2(pfd[1], 2);
        (void)signal(SIGPIPE, SIG_DFL);
        /* execve takes char *const[]; the strings are not modified */
        execve(argv[0], (char *const *)(void *)argv, envp);
        _exit(127);
    }
    (void)close(pfd[1]);
    for (;;) {
        char chunk[4096];
        ssize_t n = read(pfd[0], chunk, sizeof chunk);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (out != NULL && out->len + (size_t)n < out->max)
            (void)dk_buf_append(out, chunk, (size_t)n, NULL);
    }
    (void)close(pfd[0]);
    while (waitpid(pid, &ws, 0) < 0) {
        if (errno != EINTR)
            return dk_err_errno(e, errno, "waiting for %s", argv[0]);
    }
    if (WIFEXITED(ws))
        *status = WEXITSTATUS(ws);
    else if (WIFSIGNALED(ws))
        *status = 128 + WTERMSIG(ws);
    if (*status == 127)
        return dk_err_set(e, DK_EIO, "%s could not be started", argv[0]);
    return 0;
}
