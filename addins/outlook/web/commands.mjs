// Entry point of the event runtime page (commands.html).
import { register } from "./onsend.mjs";

register();
