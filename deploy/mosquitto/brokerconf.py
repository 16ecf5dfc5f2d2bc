"""The broker configuration of `make demo`, `make demo-cluster`, the tests and
the benchmarks.

One source: the queue, persistence, flow-control and Nagle settings are read from
deploy/mosquitto/pantau.conf, the file a deployment includes, so a local broker
queues, persists and drops exactly as the central one does (docs/deployment.md).
Only what cannot be the same on one machine differs: a loopback listener on a
free port, anonymous clients, the state folder. A regional broker's bridge to
the central pair is read from pantau-bridge.conf.example the same way.
"""
import os

DEPLOY_CONF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pantau.conf")
BRIDGE_EXAMPLE = os.path.join(os.path.dirname(DEPLOY_CONF), "pantau-bridge.conf.example")

# The settings that decide what the broker keeps and drops, and how soon it
# writes what it delivers (set_tcp_nodelay).
QUEUE_KEYS = ("persistence", "autosave_interval", "autosave_on_changes", "max_queued_messages",
              "max_queued_bytes", "persistent_client_expiration", "max_inflight_messages",
              "set_tcp_nodelay")


def settings_of(keys, path=DEPLOY_CONF):
    """{key: value} of keys (each a key with one value) in path."""
    found = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2 and parts[0] in keys:
                found[parts[0]] = parts[1]
    return found


def queue_settings(path=DEPLOY_CONF):
    """{key: value} of QUEUE_KEYS in path; ValueError names a key it lacks."""
    found = settings_of(QUEUE_KEYS, path)
    missing = [k for k in QUEUE_KEYS if k not in found]
    if missing:
        raise ValueError(f"{path} lacks {', '.join(missing)}: the local brokers take their "
                         "queue and persistence settings from it")
    return found


# The publish limit's options (broker/, docs/deployment.md "Publish limit").
PLUGIN_KEYS = ("plugin_opt_rate", "plugin_opt_burst", "plugin_opt_exempt")


def plugin_lines(plugin, plugin_opts=None):
    """The lines loading the publish limit from plugin (a path), with the
    deployment's options (some replaced by plugin_opts, {option: value}
    without the plugin_opt_ prefix)."""
    opts = settings_of(PLUGIN_KEYS)
    opts.update({f"plugin_opt_{k}": str(v) for k, v in (plugin_opts or {}).items()})
    return [f"plugin {plugin}"] + [f"{k} {v}" for k, v in opts.items()]


def local_conf(port, state_dir, persistence=True, extra="", overrides=None, plugin=None,
               plugin_opts=None):
    """mosquitto.conf text: a loopback listener on port, anonymous, with the
    deployment's queue settings (some replaced by overrides, for a benchmark
    that varies one); its persistence file in state_dir (or none); the
    publish limit loaded from plugin (a path; None: not loaded) with the
    deployment's options and plugin_opts (plugin_lines)."""
    settings = queue_settings()
    settings.update({k: str(v) for k, v in (overrides or {}).items()})
    if not persistence:
        settings["persistence"] = "false"
    lines = [f"listener {port} 127.0.0.1", "allow_anonymous true"]
    lines += [f"{k} {v}" for k, v in settings.items()]
    if settings["persistence"] == "true":
        lines.append(f"persistence_location {os.path.abspath(state_dir)}/")
    if os.geteuid() == 0:
        # as root, mosquitto would switch to the mosquitto user, which
        # cannot write a persistence file into the caller's folder
        lines.append("user root")
    if plugin:
        lines += plugin_lines(plugin, plugin_opts)
    return "\n".join(lines) + "\n" + extra


# The bridge's TLS lines, left out on loopback.
BRIDGE_TLS_KEYS = ("bridge_cafile", "bridge_certfile", "bridge_keyfile")


def bridge_conf(region, centrals, overrides=None):
    """The shipped bridge snippet (pantau-bridge.conf.example) for one region,
    aimed at loopback centrals (host:port, the main one first): the addresses
    replaced, the TLS lines left out (plain TCP on loopback), directives in
    overrides ({directive: value}, e.g. shorter reconnect timings) replaced."""
    out = []
    with open(BRIDGE_EXAMPLE) as f:
        for line in f:
            words = line.split()
            if not words or words[0].startswith("#") or words[0] in BRIDGE_TLS_KEYS:
                continue
            if words[0] == "address":
                line = "address " + " ".join(centrals) + "\n"
            elif words[0] in (overrides or {}):
                line = f"{words[0]} {overrides[words[0]]}\n"
            out.append(line.replace("REGION", region))
    return "".join(out)
