// A minimal event emitter with the method names of @socket.io/component-emitter, which is what
// socket.io-client users call on Socket and Manager. _emit is the internal emission: Socket
// overrides emit() to send to the server, so the library itself always uses _emit.
export class Emitter {
  on(event, fn) {
    const all = this._cbs || (this._cbs = {});
    (all[event] || (all[event] = [])).push(fn);
    return this;
  }

  once(event, fn) {
    const wrapper = (...args) => {
      this.off(event, wrapper);
      fn.apply(this, args);
    };
    wrapper.fn = fn;
    return this.on(event, wrapper);
  }

  // off() removes every listener, off(event) those of one event, off(event, fn) just fn.
  off(event, fn) {
    const all = this._cbs;
    if (!all) return this;
    if (event === undefined) {
      this._cbs = {};
    } else if (fn === undefined) {
      delete all[event];
    } else {
      const list = all[event] || [];
      const i = list.findIndex((f) => f === fn || f.fn === fn);
      if (i >= 0) list.splice(i, 1);
    }
    return this;
  }

  _emit(event, ...args) {
    const list = this._cbs && this._cbs[event];
    if (list) for (const fn of list.slice()) fn.apply(this, args);
    return this;
  }

  emit(event, ...args) {
    return this._emit(event, ...args);
  }

  listeners(event) {
    return (this._cbs && this._cbs[event]) || [];
  }

  hasListeners(event) {
    return this.listeners(event).length > 0;
  }
}

const proto = Emitter.prototype;
proto.addEventListener = proto.on;
proto.removeListener = proto.removeAllListeners = proto.removeEventListener = proto.off;
proto.emitReserved = proto._emit;

// on subscribes fn and returns the function that unsubscribes it.
export function on(emitter, event, fn) {
  emitter.on(event, fn);
  return () => emitter.off(event, fn);
}
