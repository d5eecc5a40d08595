// The IIFE entry: what <script src="/socket.io/socket.io.js"> defines, the global io().
import lookup from "./index.js";

self.io = lookup;
